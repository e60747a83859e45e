# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The user journey in a real browser: contact → SMS button → type → Send → chatter."""

from odoo.tests import tagged

from .common_sms import IapSmsHttpCase
from .common_tours import JourneyTourMixin, sms_shortage_texts


@tagged("post_install", "-at_install")
class TestSmsTour(JourneyTourMixin, IapSmsHttpCase):
    def test_send_sms_from_contact(self):
        self.account._credits_grant(10, "Welcome")
        self.start_tour(f"/odoo/contacts/{self.partner.id}", "iap_credits_sms_from_contact", login="admin")
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual(len(message), 1)
        self.assertEqual(message.body, "Hello from the iap_credits tour")
        self.assertEqual((message.state, message.credits, message.gateway_id), ("sent", 1.0, self.sandbox))
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 9, "the balance dropped by the price of the SMS")

    def test_insufficient_credit_offers_to_buy(self):
        self.account._credits_grant(0.5, "Not enough for one SMS")
        texts = sms_shortage_texts(self.texts_of("admin"), "Not enough credits for this one", needed=1, available=0.5)
        self.start_journey_tour(
            f"/odoo/contacts/{self.partner.id}", "iap_credits_sms_insufficient_credit", texts, login="admin"
        )
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual((message.state, message.failure_type, message.credits), ("error", "sms_credit", 0))
        self._assertBalance(0.5)

    def _assertBalance(self, balance):
        self.account.invalidate_recordset()
        self.assertEqual((self.account.credit_balance, self.account.credit_reserved), (balance, 0))
