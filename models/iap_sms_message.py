# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# Stock SMS API states that mean "handed to the provider" / "delivered".
SUCCESS_STATES = {"success": "sent", "processing": "sent", "sent": "sent", "delivered": "delivered"}
# Stock SMS API states as `sms.sms` failure types (see `SmsApiLocal`).
STATE_TO_FAILURE_TYPE = {
    "server_error": "sms_server",
    "sms_number_missing": "sms_number_missing",
    "wrong_number_format": "sms_number_format",
    "insufficient_credit": "sms_credit",
    "duplicate_message": "sms_duplicate",
    "unregistered": "sms_acc",
    "country_not_supported": "sms_country_not_supported",
}
# The states each state may be reached from by a delivery report (the pattern of
# `payment.transaction._update_state`): a report never moves an SMS back, and a delivered or
# failed SMS is final, whatever a late or repeated report says.
SMS_STATE_TRANSITIONS = {
    # Still on its way (queued, accepted by the carrier): only an SMS that was on its way.
    "sent": ("sent",),
    "delivered": ("sent",),
    "error": ("sent",),
}


class IapSmsMessage(models.Model):
    """One SMS sent (or refused) for a local credit account: the SMS history and outbox.

    Stock `sms.sms` rows are deleted once sent; this record stays, with the number in
    E.164, the segments, the credits charged and the delivery state reported by the
    gateway. The sandbox gateway's outbox is the list of these records.

    This file: the fields, the delivery reports and the state transitions. Sending a batch
    (outbox check, numbers, prices, charge, gateway): `iap_sms_message_send.py`; the
    statement writing a batch's rows: `iap_sms_message_record.py`.
    """

    _name = "iap.sms.message"
    _inherit = ["iap.state.machine.mixin"]
    _description = "SMS Outbox"
    _order = "id desc"
    _rec_name = "number"
    # The sender and the date are the batch's (`create_uid`, `create_date` below): one row per
    # SMS with two user keys of its own cost PostgreSQL two foreign-key checks per SMS.
    _log_access = False

    batch_id = fields.Many2one(
        "iap.sms.batch",
        string="SMS Batch",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        # The outbox's own record rules decide who sees an SMS, through the batch's fields.
        bypass_search_access=True,
    )
    uuid = fields.Char(string="SMS UUID", readonly=True, index=True, help="UUID of the stock SMS (sms.sms).")
    account_id = fields.Many2one(related="batch_id.account_id")
    gateway_id = fields.Many2one(related="batch_id.gateway_id")
    gateway_code = fields.Selection(related="batch_id.gateway_id.code", string="Provider")
    company_id = fields.Many2one(related="batch_id.company_id")
    reference = fields.Char(related="batch_id.reference", string="Batch")
    create_date = fields.Datetime(related="batch_id.create_date", string="Date")
    create_uid = fields.Many2one(related="batch_id.create_uid", string="Sent by")
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True, index="btree_not_null")
    mail_message_id = fields.Many2one("mail.message", string="Chatter Message", readonly=True, ondelete="set null")
    number = fields.Char(readonly=True, help="The destination, in E.164 when it is valid.")
    body = fields.Text(readonly=True)
    encoding = fields.Selection([("gsm7", "GSM-7"), ("ucs2", "UCS-2 (Unicode)")], readonly=True)
    segments = fields.Integer(readonly=True, help="Number of SMS parts the message was sent as.")
    credits = fields.Float(
        digits="IAP Credits", readonly=True, help="Credits charged for this SMS (zero when it failed)."
    )
    state = fields.Selection(
        [("sent", "Sent"), ("delivered", "Delivered"), ("error", "Failed")],
        readonly=True,
        required=True,
        default="sent",
    )
    failure_type = fields.Selection(selection="_selection_failure_type", readonly=True)
    failure_reason = fields.Text(readonly=True)
    provider_ref = fields.Char(string="Provider Reference", readonly=True, help="The provider's id of the SMS.")

    @api.model
    def _selection_failure_type(self):
        return [*self.env["mail.notification"]._fields["failure_type"].selection, ("sms_duplicate", "Duplicate")]

    # ------------------------------------------------------------
    # DELIVERY REPORTS
    # ------------------------------------------------------------

    @api.model
    def _local_uuids(self, uuids):
        """The uuids, among ``uuids``, of SMS of local accounts (whatever their gateway).

        They are the ones of this history, and the ones of stock SMS still queued by a
        company whose SMS account is local. Everything else went (or goes) through Odoo's IAP.

        :param list uuids: stock SMS uuids
        :return: a set of uuids
        """
        uuids = set(uuids)
        local = set(self.sudo().search_fetch([("uuid", "in", list(uuids))], ["uuid"]).mapped("uuid"))
        queued = self.env["sms.sms"].sudo().search([("uuid", "in", list(uuids - local))])
        for company, company_sms in queued._grouped_by_company().items():
            if company._iap_credits_sms_local_account():
                local.update(company_sms.mapped("uuid"))
        return local

    def _update_delivery(self, state, provider_error=None, failure_reason=None):
        """Apply a delivery report to the SMS and to its chatter notification.

        A report moves only the SMS whose state allows it (see :data:`SMS_STATE_TRANSITIONS`):
        a late or repeated report about a delivered or failed SMS changes nothing.

        :param str state: ``sent``, ``delivered`` or ``error``
        :param str provider_error: for errors, a stock delivery error (``expired``,
            ``invalid_destination``, ``not_allowed``, ``not_delivered``, ``rejected``)
        :param str failure_reason: for errors, the provider's own words
        :return: the SMS that moved
        """
        if state == "error":
            moved = self._set_error(provider_error or "not_delivered", failure_reason)
        elif state == "delivered":
            moved = self._set_delivered()
        else:
            moved = self._set_sent()
        self.env["sms.sms"].sudo().search(
            [("uuid", "in", self.mapped("uuid")), ("to_delete", "=", False)]
        ).to_delete = True
        return moved

    # ------------------------------------------------------------
    # STATES
    # ------------------------------------------------------------

    def _update_state(self, target_state, values=None):
        """Move the SMS whose state allows it to ``target_state``, with ``values`` (sudo:
        the outbox is read-only to users; only this addon writes its states).

        :param str target_state: a key of :data:`SMS_STATE_TRANSITIONS`
        :param dict values: the other fields written with the state
        :return: the SMS that moved; the others are left as they are
        """
        return self._state_set("state", target_state, SMS_STATE_TRANSITIONS[target_state], values)

    def _set_sent(self):
        """The provider still has the SMS on its way (queued, accepted by the carrier).

        :return: the SMS that moved
        """
        sent = self._update_state("sent", {"failure_type": False})
        sent._sms_trackers()._action_update_from_sms_state("pending")
        return sent

    def _set_delivered(self):
        """The SMS reached the phone: final.

        :return: the SMS that moved
        """
        delivered = self._update_state("delivered", {"failure_type": False})
        delivered._sms_trackers()._action_update_from_sms_state("sent")
        return delivered

    def _set_error(self, provider_error, failure_reason=None):
        """The SMS was not delivered: final, with the stock failure type and reason that
        the chatter notification shows too.

        :param str provider_error: a stock delivery error (``expired``, ``not_delivered``, ...)
        :param str failure_reason: the provider's own words
        :return: the SMS that moved
        """
        failed = self._update_state("error")
        if failed:
            __, failure_type, failure_reason = (
                failed._sms_trackers()
                .with_context(sms_known_failure_reason=failure_reason)
                ._action_update_from_provider_error(provider_error)
            )
            failed.sudo().write({"failure_type": failure_type, "failure_reason": failure_reason})
        return failed

    def _sms_trackers(self):
        """The stock trackers (chatter notifications) of the SMS."""
        trackers = self.env["sms.tracker"].sudo()
        if not self:
            return trackers
        return trackers.search([("sms_uuid", "in", self.mapped("uuid"))])
