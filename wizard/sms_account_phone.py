# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models


class SmsAccountPhone(models.TransientModel):
    _inherit = "sms.account.phone"

    def action_send_verification_code(self):
        """Override of `sms`: never send a local account's token to Odoo's SMS server."""
        self.account_id._sms_check_odoo_iap()
        return super().action_send_verification_code()
