# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the Buy Credit link of a client database, in headless Chromium, by a visitor
who is not logged in here (static/tests/tours/iap_credits_client_buy_credits_tour.js)."""

import unittest

from odoo.tests import tagged
from odoo.tests.common import HttpCase

from .common import IapCreditsCase


@tagged("post_install", "-at_install")
class TestServerCreditTour(HttpCase, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provider = cls.env.ref("payment.payment_provider_demo")
        if provider.module_id.state != "installed" or provider.state == "disabled":
            raise AssertionError("The purchase pays with the demo provider: install payment_demo (dev/test.sh does).")
        cls.provider = provider
        cls.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", "closed")
        cls.client_partner = cls.env["res.partner"].create({"name": "Tour Client Ltd"})
        cls.client_account = cls.env["iap.account"].create(
            {
                "name": "Tour client SMS",
                "service_id": cls.service_sms.id,
                "credit_mode": "local",
                "account_token": "tour-client-token",
                "client_partner_id": cls.client_partner.id,
            }
        )
        cls.client_account._credits_grant(10, "Welcome")
        cls.env["iap.credit.pack"].create(
            {
                "name": "Tour Client Pack",
                "service_id": cls.service_sms.id,
                "credits": 100,
                "bonus_credits": 50,
                "price": 9.99,
                "company_id": cls.company.id,
            }
        )

    def test_client_buys_a_pack(self):
        self.env["ir.config_parameter"].sudo().set_param("iap.endpoint", self.base_url())
        url = self.env["iap.account"].get_credits_url("sms", account_token="tour-client-token")
        try:
            self.start_tour(url.removeprefix(self.base_url()), "iap_credits_client_buy_credits", login=None)
        except unittest.SkipTest as skip:
            self.fail(f"The tour did not run: {skip}")  # a skipped journey is no journey
        self.assertCredits(self.client_account, 160)
        purchase = self.client_account.transaction_ids.filtered(lambda t: t.kind == "purchase")
        self.assertEqual(len(purchase), 1)
        tx = purchase.origin_ref
        self.assertEqual((tx.state, tx.provider_id, tx.partner_id), ("done", self.provider, self.client_partner))
        invoice = tx.iap_credit_invoice_id
        self.assertEqual(
            (invoice.state, invoice.partner_id, invoice.amount_total), ("posted", self.client_partner, 9.99)
        )
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
