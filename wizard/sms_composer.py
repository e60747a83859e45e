# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models

from ..tools.sms_numbers import format_e164
from ..tools.sms_segments import sms_encoding, sms_rate, sms_segments


class SmsComposer(models.TransientModel):
    """Override of `sms` to show the price of an SMS in local credits before it is sent,
    and to offer to buy credits when they were short."""

    _inherit = "sms.composer"

    iap_credits_local = fields.Boolean(compute="_compute_iap_credits_estimate")
    iap_credits_encoding = fields.Char(compute="_compute_iap_credits_estimate", string="Encoding")
    iap_credits_segments = fields.Integer(
        compute="_compute_iap_credits_estimate", string="Segments", help="SMS parts per recipient."
    )
    iap_credits_recipients = fields.Integer(compute="_compute_iap_credits_estimate", string="Recipients")
    iap_credits_estimate = fields.Float(
        compute="_compute_iap_credits_estimate",
        string="Estimated Credits",
        digits="IAP Credits",
        help="Credits this message will cost if every SMS is sent; failures are not charged.",
    )
    iap_credits_available = fields.Float(
        compute="_compute_iap_credits_estimate", string="Credits Available", digits="IAP Credits"
    )

    @api.depends(
        "body",
        "composition_mode",
        "recipient_single_number_itf",
        "recipient_single_number",
        "recipient_single_valid",
        "recipient_valid_count",
        "sanitized_numbers",
    )
    def _compute_iap_credits_estimate(self):
        account = self.env.company._iap_credits_sms_account()
        local = account.credit_mode == "local"
        rates = account.service_id._sms_country_rates() if local else {}
        unit_price = account.service_id.credit_unit_price
        for composer in self:
            composer.iap_credits_local = local
            composer.iap_credits_encoding = "GSM-7" if sms_encoding(composer.body or "") == "gsm7" else "UCS-2"
            composer.iap_credits_segments = segments = sms_segments(composer.body or "")
            composer.iap_credits_available = account.credit_available if local else 0.0
            numbers = composer._iap_credits_numbers()
            if numbers is None:  # mass mode: recipients are counted, their numbers not read
                composer.iap_credits_recipients = composer.recipient_valid_count
                composer.iap_credits_estimate = segments * unit_price * composer.recipient_valid_count
            else:
                composer.iap_credits_recipients = len(numbers)
                composer.iap_credits_estimate = sum(segments * sms_rate(n, unit_price, rates) for n in numbers)

    def _iap_credits_numbers(self):
        """Destinations in E.164 of a composer sending to known numbers, None in mass mode."""
        self.ensure_one()
        if self.composition_mode == "numbers":
            return [n for n in (self.sanitized_numbers or "").split(",") if n]
        if self.composition_mode == "comment" and self.comment_single_recipient:
            number = self.recipient_single_number_itf or self.recipient_single_number
            country = self.env.company.country_id
            records = self._get_records()
            if len(records) == 1 and "country_id" in records._fields:
                country = records.country_id or country
            e164 = format_e164(number, country.code)
            return [e164] if e164 else []
        return None

    def action_send_sms(self):
        """Override of `sms`: when SMS failed for lack of local credits, say so with a link to buy some."""
        if not self.env["iap.account"]._iap_credits_sms_may_be_local():
            return super().action_send_sms()  # no SMS can be local: the stock queries only
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM iap_sms_message")
        last_id = self.env.cr.fetchone()[0]
        result = super().action_send_sms()
        short = (
            self.env["iap.sms.message"]
            .sudo()
            .search_count(
                [("id", ">", last_id), ("failure_type", "=", "sms_credit"), ("create_uid", "=", self.env.uid)]
            )
        )
        if not short:
            return result
        url = self.env["iap.account"].sudo().get_credits_url(service_name="sms")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger",
                "sticky": True,
                "title": self.env._("Not enough SMS credits"),
                "message": self.env._(
                    "%(count)s SMS could not be sent: there are not enough credits. Nothing was charged.",
                    count=short,
                )
                + " %s",
                "links": [{"label": self.env._("Buy credits"), "url": url}],
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
