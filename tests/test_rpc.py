# Part of iap_credits. See LICENSE file for full copyright and licensing details.


from odoo.tests import HttpCase, tagged

from .common import JsonRpcMixin


@tagged("post_install", "-at_install")
class TestNoCreditsOverRpc(JsonRpcMixin, HttpCase):
    """Nothing that moves credits can be called over RPC, even by an administrator."""

    def setUp(self):
        super().setUp()
        self.account = self.env["iap.account"].create(
            {"service_id": self.env.ref("sms.iap_service_sms").id, "credit_mode": "local"}
        )
        self.account._credits_grant(10, "Welcome")
        self.authenticate("admin", "admin")

    def test_private_ledger_methods_refused(self):
        for method, args in (
            ("_credits_grant", [[self.account.id], 1000, "free"]),
            ("_credits_reserve", [[self.account.id], 1, "hold"]),
            ("_credits_debit", [[self.account.id], 1, "take"]),
            ("_release_expired_holds", []),
        ):
            response = self._call("iap.account", method, args)
            self.assertIn("error", response, method)
        for kwargs in ({"credit_balance": 1e6}, {"credit_available": 1e6}):
            response = self._call("iap.account", "write", [[self.account.id], kwargs])
            self.assertIn("error", response)
        row = self.account.transaction_ids[:1]
        self.assertIn("error", self._call("iap.credit.transaction", "write", [row.ids, {"credits": 1e6}]))
        self.assertIn("error", self._call("iap.credit.transaction", "unlink", [row.ids]))
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 10)
        self.assertEqual(len(self.account.transaction_ids), 1)
