# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import models

from .sms_api import SmsApiLocal


class ResCompany(models.Model):
    _inherit = "res.company"

    def _get_sms_api_class(self):
        """Override of `sms` to send through local credits when the company's SMS account is local."""
        self.ensure_one()
        if self._iap_credits_sms_local_account():
            return SmsApiLocal
        return super()._get_sms_api_class()

    def _iap_credits_sms_account(self):
        """The `iap.account` (sudo) paying for this company's SMS, in local or Odoo IAP mode:
        the stock `get` of the company, as the system, whatever the current user's companies."""
        self.ensure_one()
        return self.env["iap.account"].with_company(self).with_context(allowed_company_ids=self.ids).sudo().get("sms")

    def _iap_credits_sms_local_account(self):
        """The one place that decides whether this company's SMS go local or stock: the local
        `iap.account` (sudo) that pays for them, or an empty recordset when they go through
        Odoo's IAP (the stock path).

        When no SMS of the database may be local (`iap.account._iap_credits_sms_may_be_local`,
        cached), the answer needs no account lookup: a database using Odoo's IAP keeps the
        stock queries.
        """
        self.ensure_one()
        if not self.env["iap.account"]._iap_credits_sms_may_be_local():
            return self.env["iap.account"].sudo()
        account = self._iap_credits_sms_account()
        return account if account.credit_mode == "local" else account.browse()
