# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models

from ..tools.sms_api import SmsApiLocal


class ResCompany(models.Model):
    _inherit = "res.company"

    def _get_sms_api_class(self):
        """Override of `sms` to send through local credits when the company's SMS account is local."""
        self.ensure_one()
        if self._iap_credits_sms_account().credit_mode == "local":
            return SmsApiLocal
        return super()._get_sms_api_class()

    def _iap_credits_sms_account(self):
        """The `iap.account` (sudo) paying for this company's SMS."""
        self.ensure_one()
        return self.env["iap.credit.dispatch"]._get_account("sms", self)
