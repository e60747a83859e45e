# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Credits and payments, attacked over JSON-RPC as the users who can reach them.

Billing users and accountants may write payment transactions (stock `account_payment`):
they must not be able to mint credits, forge a refund that takes credits away, or change
what a purchase grants. Credit managers confirm grants once, the landing page moves
nothing, test-mode purchases say so, and ledger rows belong to the account's company.
"""

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from odoo.addons.payment import utils as payment_utils

from .common import JsonRpcMixin
from .test_credit_purchase import CreditPurchaseCase

BILLING_GROUPS = "base.group_user,account.group_account_invoice"
ACCOUNTANT_GROUPS = "base.group_user,account.group_account_manager"


@tagged("post_install", "-at_install")
class TestPaymentSecurity(JsonRpcMixin, HttpCase, CreditPurchaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(cls.env, login="iap_pay_billing", groups=BILLING_GROUPS)
        cls.accountant = new_test_user(cls.env, login="iap_pay_accountant", groups=ACCOUNTANT_GROUPS)
        for user in (cls.billing, cls.accountant):
            assert not user.has_group("iap_credits.group_iap_credits_manager"), user.login
            assert user.has_group("account.group_account_invoice"), user.login

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def assertRpcError(self, response, message, what):
        self.assertIn("error", response, f"{what}: must be refused, got {response.get('result')!r}")
        self.assertIn(message, response["error"]["data"]["message"], what)

    def _plain_tx(self, state="draft"):
        """A payment transaction that buys nothing (e.g. an invoice paid online).

        When ``state`` is done, it is post-processed as the provider's flow does, so that it
        has its `account.payment` like any paid transaction.
        """
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": self.env["payment.transaction"]._compute_reference("demo", prefix="PLAIN"),
                    "amount": 5.0,
                    "currency_id": self.company.currency_id.id,
                    "partner_id": self.partner.id,
                    "operation": "online_direct",
                }
            )
        )
        if state != "draft":
            tx._process("demo", {"reference": tx.reference, "simulated_state": state})
            tx._post_process()
        return tx

    def _ledger_snapshot(self):
        self.env.invalidate_all()
        return (self.account.credit_balance, len(self.account.transaction_ids))

    # ------------------------------------------------------------
    # CASE 1: nobody mints credits through a payment transaction
    # ------------------------------------------------------------

    def test_billing_users_cannot_mint_credits(self):
        for user in (self.billing, self.accountant):
            with self.subTest(user=user.login):
                self.authenticate(user.login, user.login)
                before = self._ledger_snapshot()
                plain = self._plain_tx(state="done")
                self.assertTrue(plain.payment_id)
                pending = self._create_tx()
                self._simulate(pending, "pending")
                self.assertEqual(pending.state, "pending")
                attacks = [
                    # The reported attack: make any transaction a paid purchase of a million credits.
                    (plain, {"iap_credit_account_id": self.account.id, "iap_credits": 1e6, "state": "done"}),
                    (plain, {"iap_credit_account_id": self.account.id}),
                    (pending, {"iap_credits": 1e6}),
                    (pending, {"iap_credit_pack_id": False}),
                    # Confirm an unpaid purchase, or make it cheaper.
                    (pending, {"state": "done"}),
                    (pending, {"state": "done", "operation": "validation"}),
                    (pending, {"amount": 0.01}),
                    (pending, {"is_live": True}),
                    (pending, {"operation": "offline"}),
                ]
                for tx, values in attacks:
                    response = self._call("payment.transaction", "write", [tx.ids, values])
                    self.assertRpcError(response, "cannot be changed", f"write {values} on {tx.reference}")
                    # Post-processing itself stays allowed (stock), and grants nothing.
                    response = self._call("payment.transaction", "action_post_process", [tx.ids])
                    self.assertNotIn("error", response, response)
                    self.assertEqual(self._ledger_snapshot(), before, f"no credits after {values}")
                response = self._call(
                    "payment.transaction",
                    "create",
                    [
                        {
                            "provider_id": self.provider.id,
                            "payment_method_id": self.payment_method.id,
                            "reference": f"FORGED-{user.login}",
                            "amount": 1.0,
                            "currency_id": self.company.currency_id.id,
                            "partner_id": self.partner.id,
                            "operation": "online_direct",
                            "state": "done",
                            "iap_credit_account_id": self.account.id,
                            "iap_credits": 1e6,
                        }
                    ],
                )
                self.assertRpcError(response, "Only the Buy Credit page", "create a purchase")
                # The demo provider's back-office button, run as the user: not the provider's flow.
                response = self._call("payment.transaction", "action_demo_set_done", [pending.ids])
                self.assertRpcError(response, "cannot be changed", "action_demo_set_done")
                self.assertEqual(self._ledger_snapshot(), before, "no credits, no ledger row")
                pending.invalidate_recordset()
                self.assertEqual((pending.state, pending.iap_credits, pending.amount), ("pending", 150, 12.5))
        self.assertCredits(self.account, 0)

    def test_genuine_purchase_still_grants(self):
        """The provider's own flow (as superuser) still confirms and grants; a Billing user may
        post-process a paid purchase again, which grants nothing more."""
        tx = self._create_tx()
        self._simulate(tx, "done")
        self.authenticate(self.billing.login, self.billing.login)
        for _attempt in range(2):
            self.assertNotIn("error", self._call("payment.transaction", "action_post_process", [tx.ids]))
        self.assertCredits(self.account, 150)

    def test_tampered_purchase_refused_loudly(self):
        """Whatever changed a purchase behind the ORM's back, the grant re-checks its binding."""
        tx = self._create_tx()
        # E.g. a direct database write: the ORM guards are bypassed, the signature is not.
        self.env.cr.execute("UPDATE payment_transaction SET iap_credits = 1000000 WHERE id = %s", [tx.id])
        tx.invalidate_recordset()
        with self.assertLogs("odoo.addons.iap_credits.models.payment_transaction", "ERROR") as logs:
            self._simulate(tx, "done")
        self.assertIn(tx.reference, logs.output[0])
        self.assertCredits(self.account, 0)
        self.assertFalse(self._purchase_rows())
        message = self.account.message_ids.filtered(lambda m: tx.reference in (m.body or ""))
        self.assertIn("moved no credits", message.body)

    def test_purchase_values_must_match_the_pack(self):
        """Even as superuser, a purchase is created for the pack's credits, price and currency."""
        for values in ({"iap_credits": 1e6}, {"amount": 0.01}, {"iap_credit_pack_id": False}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self._create_tx(**values)

    # ------------------------------------------------------------
    # CASE 1: nobody takes credits away with a forged refund
    # ------------------------------------------------------------

    def test_forged_refunds_take_nothing(self):
        purchase = self._create_tx()
        self._simulate(purchase, "done")
        self.assertCredits(self.account, 150)
        other = self._plain_tx(state="done")
        for user in (self.billing, self.accountant):
            with self.subTest(user=user.login):
                self.authenticate(user.login, user.login)
                # Turn a paid transaction into a "refund" of the purchase.
                values = {"source_transaction_id": purchase.id, "operation": "refund", "amount": -purchase.amount}
                response = self._call("payment.transaction", "write", [other.ids, values])
                self.assertRpcError(response, "cannot be changed", "write a refund")
                response = self._call(
                    "payment.transaction", "write", [purchase.ids, {"child_transaction_ids": [(4, other.id)]}]
                )
                self.assertRpcError(response, "cannot be changed", "link a refund")
                self.assertNotIn("error", self._call("payment.transaction", "action_post_process", [other.ids]))
                response = self._call(
                    "payment.transaction",
                    "create",
                    [
                        {
                            "provider_id": self.provider.id,
                            "payment_method_id": self.payment_method.id,
                            "reference": f"R-FORGED-{user.login}",
                            "amount": -purchase.amount,
                            "currency_id": purchase.currency_id.id,
                            "partner_id": self.partner.id,
                            "operation": "refund",
                            "source_transaction_id": purchase.id,
                            "state": "done",
                        }
                    ],
                )
                self.assertRpcError(response, "refunded only through its payment provider", "create a refund")
        self.assertCredits(self.account, 150)
        self.assertFalse(self.account.transaction_ids.filtered(lambda t: t.kind == "refund"))

    def test_refunds_never_take_back_more_than_bought(self):
        """A Billing user refunds through the stock Refund (the provider's flow): the credits go
        back in proportion, never more than the purchase granted, however many refunds."""
        self.account._credits_grant(10, "Welcome")
        purchase = self._create_tx()
        self._simulate(purchase, "done")
        self.assertCredits(self.account, 160)
        self.authenticate(self.billing.login, self.billing.login)
        for amount in (2 * purchase.amount, purchase.amount):
            response = self._call("payment.transaction", "action_refund", [purchase.ids], {"amount_to_refund": amount})
            self.assertNotIn("error", response, response)
            refund = purchase.child_transaction_ids.sorted("id")[-1:]
            self.assertEqual((refund.operation, refund.state), ("refund", "done"))
            response = self._call("payment.transaction", "write", [refund.ids, {"amount": -1000.0}])
            self.assertRpcError(response, "cannot be changed", "change a refund's amount")
            # The demo provider wakes the post-processing cron up for refunds: what it runs.
            refund._post_process()
        rows = self.account.transaction_ids.filtered(lambda t: t.kind == "refund")
        self.assertEqual(rows.mapped("credits"), [-150], "one refund takes back the 150 credits, the next one none")
        self.assertCredits(self.account, 10)

    # ------------------------------------------------------------
    # CASE 11: the landing page never moves credits
    # ------------------------------------------------------------

    def test_landing_page_grants_nothing(self):
        tx = self._create_tx()
        # Paid, but not post-processed yet (e.g. the status page was skipped).
        tx._process("demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"})
        self.assertEqual((tx.state, tx.is_post_processed), ("done", False))
        self.authenticate(self.manager.login, self.manager.login)
        token = payment_utils.generate_access_token(tx.partner_id.id, tx.amount, tx.currency_id.id, env=self.env)
        for _attempt in range(2):
            landing = self.url_open(f"/iap_credits/purchase/{tx.id}?access_token={token}")
            self.assertEqual(landing.status_code, 200)
            self.assertIn("o_iap_credits_purchase_processing", landing.text, "shown as being processed")
            self.assertNotIn("o_iap_credits_purchase_done", landing.text)
        self.assertCredits(self.account, 0)
        self.assertFalse(self._purchase_rows())
        tx._post_process()
        self.assertCredits(self.account, 150)
        landing = self.url_open(f"/iap_credits/purchase/{tx.id}?access_token={token}")
        self.assertIn("o_iap_credits_purchase_done", landing.text)

    # ------------------------------------------------------------
    # CASE 10: the wizard grants once; test purchases say so; rows of the account's company
    # ------------------------------------------------------------

    def test_adjustment_wizard_confirmed_twice_grants_once(self):
        self.authenticate(self.manager.login, self.manager.login)
        for operation, credits, expected in (("grant", 25, 25), ("add", 5, 30), ("remove", 10, 20)):
            with self.subTest(operation=operation):
                response = self._call(
                    "iap.credit.adjustment",
                    "create",
                    [{"account_id": self.account.id, "operation": operation, "credits": credits, "reason": "Gift"}],
                )
                wizard_id = response["result"][0] if isinstance(response["result"], list) else response["result"]
                for _attempt in range(2):
                    response = self._call("iap.credit.adjustment", "action_confirm", [[wizard_id]])
                    self.assertNotIn("error", response, response)
                self.assertCredits(self.account, expected)
                # Putting it back to draft to confirm it again is refused.
                response = self._call("iap.credit.adjustment", "write", [[wizard_id], {"state": "draft"}])
                self.assertRpcError(response, "only by confirming it", "reset the wizard")
                self.assertNotIn("error", self._call("iap.credit.adjustment", "action_confirm", [[wizard_id]]))
                self.assertCredits(self.account, expected)
        self.assertEqual(len(self.account.transaction_ids), 3, "three wizards, three rows")
        messages = self.account.message_ids.filtered(lambda m: "Gift" in (m.body or ""))
        self.assertEqual(len(messages), 3, "one chatter message per wizard")

    def test_test_mode_purchase_marked_on_the_ledger(self):
        self.assertEqual(self.provider.state, "test", "payment_demo's provider is in test mode")
        test_tx = self._create_tx()
        self._simulate(test_tx, "done")
        live_provider = self.env["payment.provider"].create(
            {"name": "Live provider", "code": "none", "state": "enabled", "company_id": self.company.id}
        )
        live_tx = self._create_tx(provider_id=live_provider.id)
        self.assertTrue(live_tx.is_live)
        live_tx._set_done()
        # Only the grant: the stock post-processing would need an accounting journal for it.
        live_tx._iap_credits_grant_purchase()
        self.assertCredits(self.account, 300)
        self.authenticate(self.manager.login, self.manager.login)
        response = self._call(
            "iap.credit.transaction",
            "search_read",
            [[("account_id", "=", self.account.id), ("kind", "=", "purchase")]],
            {"fields": ["is_test", "description", "origin_ref"]},
        )
        self.assertNotIn("error", response, response)
        rows = {row["origin_ref"]: row for row in response["result"]}
        test_row = rows[f"payment.transaction,{test_tx.id}"]
        self.assertTrue(test_row["is_test"])
        self.assertIn("test mode", test_row["description"])
        live_row = rows[f"payment.transaction,{live_tx.id}"]
        self.assertFalse(live_row["is_test"])
        self.assertNotIn("test mode", live_row["description"])

    def test_ledger_row_company_is_the_accounts(self):
        company_b = self.env["res.company"].create({"name": "Ledger Company B"})
        account_b = self.env["iap.account"].create(
            {
                "name": "Company B SMS",
                "service_id": self.service_sms.id,
                "company_ids": company_b.ids,
                "credit_mode": "local",
            }
        )
        shared = self.env["iap.account"].create(
            {"name": "Shared SMS", "service_id": self.service_sms.id, "credit_mode": "local"}
        )
        manager = new_test_user(
            self.env,
            login="iap_pay_manager_ab",
            groups="base.group_user,iap_credits.group_iap_credits_manager",
            company_id=self.company.id,
            company_ids=[(6, 0, (self.company | company_b).ids)],
        )
        self.authenticate(manager.login, manager.login)
        # Working in the main company, with company B also selected.
        context = {"allowed_company_ids": [self.company.id, company_b.id]}
        for account, company in ((account_b, company_b), (shared, self.company)):
            with self.subTest(account=account.name):
                response = self._call(
                    "iap.credit.adjustment",
                    "create",
                    [{"account_id": account.id, "operation": "grant", "credits": 7, "reason": "Welcome"}],
                    {"context": context},
                )
                self.assertNotIn("error", response, response)
                wizard_id = response["result"][0] if isinstance(response["result"], list) else response["result"]
                response = self._call("iap.credit.adjustment", "action_confirm", [[wizard_id]], {"context": context})
                self.assertNotIn("error", response, response)
                self.assertEqual(account.transaction_ids.company_id, company)
        # A superuser job of the main company posting on company B's account.
        account_b.sudo()._credits_grant(1, "Cron")
        self.assertEqual(account_b.transaction_ids.company_id, company_b)
