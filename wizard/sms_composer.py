# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import float_compare

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
    iap_credits_short = fields.Boolean(
        compute="_compute_iap_credits_estimate",
        string="Not Enough Credits",
        help="The estimate exceeds the credits available: the SMS that cannot be paid will not be sent.",
    )
    iap_credits_buy_url = fields.Char(
        compute="_compute_iap_credits_estimate",
        string="Buy Credits",
        help="The page where credits for SMS are bought.",
    )
    iap_credits_warning = fields.Html(
        compute="_compute_iap_credits_estimate",
        string="Credits Warning",
        help="Shown before sending when the credits are short: what is missing, and a link to buy credits.",
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
        company = self.env.company
        local_account = company._iap_credits_sms_local_account()
        local = bool(local_account)
        # Odoo IAP's account too: its service's unit price is the estimate's.
        account = local_account or company._iap_credits_sms_account()
        rates = account.service_id._sms_country_rates() if local else {}
        unit_price = account.service_id.credit_unit_price
        buy_url = self.env["iap.account"].sudo().get_credits_url(service_name="sms") if local else False
        for composer in self:
            composer.iap_credits_local = local
            composer.iap_credits_encoding = "GSM-7" if sms_encoding(composer.body or "") == "gsm7" else "UCS-2"
            composer.iap_credits_segments = segments = sms_segments(composer.body or "")
            composer.iap_credits_available = account.credit_available if local else 0.0
            numbers = composer._iap_credits_numbers(with_rates=bool(rates))
            if numbers is None:  # mass mode, one price for every destination: recipients are counted
                composer.iap_credits_recipients = composer.recipient_valid_count
                composer.iap_credits_estimate = segments * unit_price * composer.recipient_valid_count
            else:
                composer.iap_credits_recipients = len(numbers)
                composer.iap_credits_estimate = sum(segments * sms_rate(n, unit_price, rates) for n in numbers)
            composer.iap_credits_short = local and (
                float_compare(composer.iap_credits_estimate, composer.iap_credits_available, precision_digits=4) > 0
            )
            composer.iap_credits_buy_url = buy_url if composer.iap_credits_short else False
            composer.iap_credits_warning = (
                composer._iap_credits_warning(account) if composer.iap_credits_short else False
            )

    def _iap_credits_warning(self, account):
        """The warning of a composer whose estimate exceeds the credits available: the
        figures as Odoo formats them, and the link to buy credits, in the user's language."""
        self.ensure_one()
        message = self.env._(
            "Not enough credits: this message needs %(needed)s, %(available)s available. "
            "The SMS that cannot be paid will not be sent, and nothing is charged for them.",
            needed=account._format_credits(self.iap_credits_estimate),
            available=account._format_credits(self.iap_credits_available),
        )
        warning = Markup('<i class="fa fa-exclamation-triangle me-1" aria-hidden="true"></i><span>%s</span>') % message
        if not self.iap_credits_buy_url:
            return warning
        return warning + Markup(' <a href="%s" target="_blank" class="fw-bold o_iap_credits_sms_buy">%s</a>') % (
            self.iap_credits_buy_url,
            self.env._("Buy credits"),
        )

    def _iap_credits_numbers(self, with_rates=False):
        """Destinations in E.164 of the composer.

        In mass mode the numbers are only read when destinations have rates of their own
        (``with_rates``), the way stock counts the valid recipients; otherwise every
        destination has the same price and None is returned: counting is enough.
        """
        self.ensure_one()
        if self.composition_mode == "mass":
            if not with_rates or not self.res_model:
                return None
            records = self._get_records()
            recipients = records._sms_get_recipients_info(force_field=self.number_field_name, partner_fallback=True)
            return [info["sanitized"] for info in recipients.values() if info["sanitized"]]
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
