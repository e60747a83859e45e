# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .common import IapCreditsCase


class TestDispatch(IapCreditsCase):
    def setUp(self):
        super().setUp()
        self.Dispatch = self.env["iap.credit.dispatch"]
        self.performed = []

    def _perform(self, items):
        self.performed.append(list(items))
        return [{"success": item != "bad", "item": item} for item in items]

    def test_get_account_of_company(self):
        self.assertEqual(self.Dispatch._get_account("sms", self.company), self.account)

    def test_charges_what_succeeded(self):
        self.account._credits_grant(10, "Welcome")
        result = self.Dispatch._dispatch(
            self.account, ["a", "bad", "c"], lambda item: 2, self._perform, "3 messages", reference="batch"
        )
        self.assertEqual(self.performed, [["a", "bad", "c"]])
        self.assertEqual([o["item"] for o in result.outcomes], ["a", "bad", "c"])
        self.assertEqual((result.credits_held, result.credits_charged), (6, 4))
        self.assertCredits(self.account, 6)

    def test_insufficient_credit_performs_nothing(self):
        self.account._credits_grant(3, "Welcome")
        with self.assertRaises(InsufficientCreditError):
            self.Dispatch._dispatch(self.account, ["a", "b"], lambda item: 2, self._perform, "2 messages")
        self.assertEqual(self.performed, [])
        self.assertCredits(self.account, 3)

    def test_gateway_crash_releases_everything(self):
        self.account._credits_grant(10, "Welcome")

        def crash(items):
            raise ConnectionError("gateway down")

        raised = False
        try:
            self.Dispatch._dispatch(self.account, ["a", "b"], lambda item: 1, crash, "2 messages")
        except ConnectionError:
            raised = True
        self.assertTrue(raised)
        self.assertCredits(self.account, 10)
        self.assertEqual(self.account.transaction_ids.sorted("id").mapped("kind"), ["grant", "reservation", "release"])

    def test_all_failed_charges_nothing(self):
        self.account._credits_grant(10, "Welcome")
        result = self.Dispatch._dispatch(self.account, ["bad", "bad"], lambda item: 1, self._perform, "2 messages")
        self.assertEqual(result.credits_charged, 0)
        self.assertCredits(self.account, 10)
