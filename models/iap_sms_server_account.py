# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, models


class IapAccount(models.Model):
    """Server mode: the SMS accounts that open mode gives unknown clients send their SMS
    the way this database sends its own."""

    _inherit = "iap.account"

    @api.model
    def _server_open_account(self, account_token, service_name, dbuuid):
        """Override of `iap_credits`: a new client SMS account gets the gateway of this
        database's own SMS account (else it would answer every SMS ``unregistered`` until
        an administrator chose one)."""
        account = super()._server_open_account(account_token, service_name, dbuuid)
        if account and service_name == "sms" and not account.sms_gateway_id:
            own = self.sudo().search(
                [
                    ("service_name", "=", "sms"),
                    ("credit_mode", "=", "local"),
                    ("client_partner_id", "=", False),
                    ("sms_gateway_id", "!=", False),
                    "|",
                    ("company_ids", "in", self.env.company.ids),
                    ("company_ids", "=", False),
                ],
                order="id desc",
                limit=1,
            )
            account.sms_gateway_id = own.sms_gateway_id
        return account
