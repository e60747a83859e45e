# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""A database whose SMS accounts all use Odoo's IAP: every SMS takes the stock path, with no
lookup of its own (`make test-stock` checks the stock query counts), and the first account
switched to local credits is used at once."""

from odoo.addons.sms.tools.sms_api import SmsApi

from ..models.iap_account import DEFAULT_MODE_PARAM
from ..models.sms_api import SmsApiLocal
from .common import IapCreditsCase
from .common_sms import IapSmsMixin


class TestSmsOdooIapDatabase(IapSmsMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()
        cls.env["ir.config_parameter"].sudo().set_param(DEFAULT_MODE_PARAM, "odoo")
        cls.env["iap.account"].sudo().search([("service_name", "=", "sms")]).credit_mode = "odoo"

    def _apis(self, sms):
        return [type(api) for api, _sms in sms._split_by_api()]

    def test_every_sms_goes_stock(self):
        self.assertFalse(self.env["iap.account"]._iap_credits_sms_may_be_local())
        sms = self._create_sms(["+32470123456"])
        self.assertEqual(self._apis(sms), [SmsApi])
        with self.assertQueryCount(0):
            self.assertFalse(self.env["iap.account"]._iap_credits_sms_may_be_local())

    def test_account_switched_to_local_is_used_at_once(self):
        sms = self._create_sms(["+32470123456"])
        self.assertEqual(self._apis(sms), [SmsApi])
        self.account.sudo().credit_mode = "local"
        self.account._credits_grant(10, "Welcome")
        self.assertEqual(self._apis(sms), [SmsApiLocal])
        sms._send()
        self.assertCredits(self.account, 9)
        self.assertEqual(self._history(sms).state, "sent")
        self.account.sudo().credit_mode = "odoo"
        self.assertEqual(self._apis(self._create_sms(["+32470123456"])), [SmsApi])

    def test_local_account_created_or_deleted(self):
        sms = self._create_sms(["+32470123456"])
        self.assertEqual(self._apis(sms), [SmsApi])
        company_b = self.env["res.company"].create({"name": "Company B"})
        account_b = self._create_local_account(companies=company_b)
        self.assertTrue(self.env["iap.account"]._iap_credits_sms_may_be_local())
        # This company's SMS still go stock: its own account uses Odoo's IAP.
        self.assertEqual(self._apis(sms), [SmsApi])
        account_b.unlink()
        self.assertFalse(self.env["iap.account"]._iap_credits_sms_may_be_local())

    def test_default_mode_local(self):
        """Accounts created from now on start local: a company without one will pay locally."""
        self.assertFalse(self.env["iap.account"]._iap_credits_sms_may_be_local())
        self.env["ir.config_parameter"].sudo().set_param(DEFAULT_MODE_PARAM, "local")
        self.assertTrue(self.env["iap.account"]._iap_credits_sms_may_be_local())
