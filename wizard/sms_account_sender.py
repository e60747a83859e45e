# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models


class SmsAccountSender(models.TransientModel):
    _inherit = "sms.account.sender"

    def action_set_sender_name(self):
        """Override of `sms`: never send a local account's token to Odoo's SMS server."""
        self.account_id._sms_check_odoo_iap()
        return super().action_set_sender_name()
