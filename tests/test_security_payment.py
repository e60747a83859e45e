# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Credits and payments, attacked over JSON-RPC as the users who can reach them.

Billing users and accountants may write payment transactions (stock `account_payment`):
they must not be able to mint credits, forge a refund that takes credits away, or change
what a purchase grants. Credit managers confirm grants once, the landing page moves
nothing, test-mode purchases say so, and ledger rows belong to the account's company.
"""

import json

from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .test_credit_purchase import CreditPurchaseCase

BILLING_GROUPS = "base.group_user,account.group_account_invoice"
ACCOUNTANT_GROUPS = "base.group_user,account.group_account_manager"


@tagged("post_install", "-at_install")
class TestPaymentSecurity(HttpCase, CreditPurchaseCase):
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

    def _call(self, model, method, args, kwargs=None):
        """``call_kw`` as the authenticated user: what the web client (or a script) can do."""
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json()

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
    # CASE 10: the wizard grants once; test purchases say so; rows of the account's company
    # ------------------------------------------------------------

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
