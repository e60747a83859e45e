# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models


class IapSmsMessage(models.Model):
    """Server mode: the delivery reports of the SMS sent for a client database are queued
    for its webhook (`iap.sms.server.report`), whatever gateway reported them."""

    _inherit = "iap.sms.message"

    def _update_delivery(self, state, provider_error=None, failure_reason=None):
        """Override of `iap_credits` to queue the report of the SMS that moved for their client."""
        moved = super()._update_delivery(state, provider_error=provider_error, failure_reason=failure_reason)
        # "Still on its way" tells the client nothing its send's "success" did not: not pushed.
        if state in ("delivered", "error"):
            moved._server_queue_reports("delivered" if state == "delivered" else provider_error or "not_delivered")
        return moved

    def _server_queue_reports(self, sms_status):
        """Queue the stock delivery status ``sms_status`` of these SMS for the webhooks of
        their clients (SMS of this database's own accounts have none)."""
        Report = self.env["iap.sms.server.report"]
        messages = self.sudo().filtered(lambda message: message.batch_id.server_webhook_url)
        for (account, url), group in messages.grouped(
            lambda message: (message.batch_id.account_id, message.batch_id.server_webhook_url)
        ).items():
            if account.client_partner_id:
                Report._queue(account, url, [(uuid, sms_status) for uuid in group.mapped("uuid")])
