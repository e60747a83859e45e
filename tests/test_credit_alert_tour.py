# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCreditAlertTour(HttpCase):
    def test_threshold_warning_tour(self):
        """In headless Chromium: tick Receive threshold warning, fill the two fields, save."""
        account = self.env["iap.account"].create(
            {
                "name": "Tour SMS account",
                "service_id": self.env.ref("sms.iap_service_sms").id,
                "company_ids": [(6, 0, self.env.company.ids)],
                "credit_mode": "local",
            }
        )
        self.assertFalse(account.warning_enabled)
        self.start_tour(
            f"/odoo/action-iap.iap_account_action/{account.id}", "iap_credits_threshold_warning", login="admin"
        )
        account.invalidate_recordset()
        self.assertTrue(account.warning_enabled)
        self.assertEqual(account.warning_threshold, 75)
        self.assertEqual(account.warning_email, "billing@example.com")
        self.assertEqual(account.warning_levels, "75.0")
