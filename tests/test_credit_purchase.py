# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Buying credit packs through the stock payment flow, with the demo payment provider."""

import re
from urllib.parse import urljoin

from psycopg2.errors import CheckViolation

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase
from odoo.tools import mute_logger

from .common import IapCreditsCase


class CreditPurchaseCase(IapCreditsCase):
    """A pack of the test SMS service and the demo payment provider (installed by dev/test.sh)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        if cls.provider.module_id.state != "installed" or cls.provider.state == "disabled":
            raise AssertionError("These tests pay with the demo provider: install payment_demo (dev/test.sh does).")
        cls.payment_method = cls.env.ref("payment_demo.payment_method_demo")
        cls.pack = cls.env["iap.credit.pack"].create(
            {
                "name": "Test Pack",
                "service_id": cls.service_sms.id,
                "credits": 100,
                "bonus_credits": 50,
                "price": 12.5,
                "company_id": cls.company.id,
            }
        )
        cls.partner = cls.env.user.partner_id

    def _create_tx(self, pack=None, account=None, **values):
        pack = pack or self.pack
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": self.env["payment.transaction"]._compute_reference("demo", prefix="CREDITS-TEST"),
                    "amount": pack.price,
                    "currency_id": pack.currency_id.id,
                    "partner_id": self.partner.id,
                    "operation": "online_direct",
                    "iap_credit_account_id": (account or self.account).id,
                    "iap_credit_pack_id": pack.id,
                    "iap_credits": pack.total_credits,
                    **values,
                }
            )
        )

    def _simulate(self, tx, state):
        """What the demo provider's webhook-like route does, then the stock post-processing."""
        tx._process("demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": state})
        tx._post_process()

    def _purchase_rows(self, account=None):
        return (account or self.account).transaction_ids.filtered(lambda t: t.kind == "purchase")


class TestCreditPurchase(CreditPurchaseCase):
    def test_pack_constraints(self):
        for values in ({"credits": 0}, {"credits": -5}, {"price": 0}, {"price": -1}):
            with self.subTest(values=values), self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"):
                self.pack.copy(values)
                self.env.flush_all()
        self.assertEqual(self.pack.total_credits, 150)
        self.assertEqual(self.pack.currency_id, self.company.currency_id)

    def test_paid_transaction_grants_once(self):
        self.account._credits_grant(10, "Welcome")
        tx = self._create_tx()
        for _attempt in range(5):
            self._simulate(tx, "done")
        # Granting again (by hand) is harmless too.
        tx._iap_credits_grant_purchase()
        self.assertEqual(tx.state, "done")
        rows = self._purchase_rows()
        self.assertEqual(len(rows), 1, "five processings, one purchase")
        self.assertEqual((rows.kind, rows.credits, rows.balance_after), ("purchase", 150, 160))
        self.assertEqual(rows.origin_ref, tx, "the ledger row points at the payment transaction")
        self.assertEqual(rows.idempotency_key, f"payment.transaction:{tx.id}")
        self.assertCredits(self.account, 160)
        messages = self.account.message_ids.filtered(lambda m: tx.reference in (m.body or ""))
        self.assertEqual(len(messages), 1, "one chatter message for the purchase")
        self.assertIn("150", messages.body)

    def test_pack_change_after_payment_started_changes_nothing(self):
        tx = self._create_tx()
        self.pack.write({"credits": 1000, "bonus_credits": 0})
        self._simulate(tx, "done")
        self.assertCredits(self.account, 150)

    def test_pending_then_done(self):
        tx = self._create_tx()
        self._simulate(tx, "pending")
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self._purchase_rows())
        self.assertCredits(self.account, 0)
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_purchase_pending_count, 1, "the account shows the pending purchase")
        self.assertEqual(self.account.credit_purchase_pending_credits, 150)
        self._simulate(tx, "done")
        self.assertCredits(self.account, 150)
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_purchase_pending_count, 0)

    def test_failed_or_cancelled_grants_nothing(self):
        for state in ("error", "cancel"):
            with self.subTest(state=state):
                tx = self._create_tx()
                self._simulate(tx, state)
                self.assertEqual(tx.state, state)
                tx._iap_credits_grant_purchase()
                self.assertFalse(self._purchase_rows())
                self.assertCredits(self.account, 0)
                self.account.invalidate_recordset()
                self.assertEqual(self.account.credit_purchase_pending_count, 0)

    def test_draft_grants_nothing(self):
        tx = self._create_tx()
        tx._post_process()
        tx._iap_credits_grant_purchase()
        self.assertCredits(self.account, 0)

    def test_full_refund_of_unspent_credits(self):
        self.account._credits_grant(10, "Welcome")
        tx = self._create_tx()
        self._simulate(tx, "done")
        self.assertCredits(self.account, 160)
        refund = tx._refund()
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        for _attempt in range(3):
            refund._post_process()
        rows = self.account.transaction_ids.filtered(lambda t: t.kind == "refund")
        self.assertEqual(len(rows), 1, "a refund takes back once")
        self.assertEqual(rows.credits, -150)
        self.assertEqual(rows.origin_ref, refund, "the ledger row points at the refund transaction")
        self.assertCredits(self.account, 10)

    def test_refund_takes_back_only_unspent_credits(self):
        tx = self._create_tx()
        self._simulate(tx, "done")
        with self.account._credits_charge(120, "120 SMS"):
            pass
        self.assertCredits(self.account, 30)
        refund = tx._refund()
        refund._post_process()
        row = self.account.transaction_ids.filtered(lambda t: t.kind == "refund")
        self.assertEqual(row.credits, -30, "only the 30 unspent credits are taken back")
        self.assertCredits(self.account, 0)

    def test_partial_refund_takes_back_the_same_share(self):
        tx = self._create_tx()
        self._simulate(tx, "done")
        refund = tx._refund(amount_to_refund=self.pack.price / 5)
        refund._post_process()
        row = self.account.transaction_ids.filtered(lambda t: t.kind == "refund")
        self.assertEqual(row.credits, -30, "a fifth of the amount, a fifth of the 150 credits")
        self.assertCredits(self.account, 120)

    def test_refund_when_all_spent_takes_nothing(self):
        tx = self._create_tx()
        self._simulate(tx, "done")
        with self.account._credits_charge(150, "150 SMS"):
            pass
        refund = tx._refund()
        refund._post_process()
        self.assertFalse(self.account.transaction_ids.filtered(lambda t: t.kind == "refund"))
        self.assertCredits(self.account, 0)

    def test_buy_credits_links_of_local_accounts(self):
        url = self.env["iap.account"].get_credits_url("sms")
        self.assertRegex(url, r"^https?://[^/]+/iap_credits/buy/\d+$")
        account_id = int(url.rsplit("/", 1)[1])
        self.assertEqual(self.env["iap.account"].browse(account_id).credit_mode, "local")
        action = self.account.with_user(self.manager).action_buy_credits()
        self.assertEqual(action["url"], f"/iap_credits/buy/{self.account.id}")
        with self.assertRaises(AccessError):
            self.account.with_user(self.user).action_buy_credits()

    def test_odoo_iap_account_keeps_the_stock_link(self):
        account = self.env["iap.account"].create(
            {"service_id": self.service_sms.id, "credit_mode": "odoo", "account_token": "abc"}
        )
        action = account.action_buy_credits()
        self.assertIn("/iap/1/credit", action["url"])


@tagged("post_install", "-at_install")
class TestCreditPurchaseHttp(HttpCase, CreditPurchaseCase):
    """The pages and the transaction route, over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Company"})
        cls.other_account = cls._create_account_for(cls.other_company)
        cls.other_company_pack = cls.env["iap.credit.pack"].create(
            {
                "name": "Other Company Pack",
                "service_id": cls.service_sms.id,
                "credits": 10,
                "price": 1,
                "company_id": cls.other_company.id,
            }
        )
        cls.other_service_pack = cls.env["iap.credit.pack"].create(
            {
                "name": "Digitization Pack",
                "service_id": cls.env.ref("iap_credits.iap_service_invoice_ocr").id,
                "credits": 10,
                "price": 1,
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _create_account_for(cls, company):
        return cls.env["iap.account"].create(
            {"name": "Account of " + company.name, "service_id": cls.service_sms.id, "company_ids": company.ids}
        )

    def _jsonrpc(self, route, params):
        response = self.opener.post(
            urljoin(self.base_url(), route), json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params}
        )
        response.raise_for_status()
        return response.json()

    def _open_checkout(self, account=None, pack=None):
        response = self.url_open(f"/iap_credits/buy/{(account or self.account).id}/{(pack or self.pack).id}")
        self.assertEqual(response.status_code, 200, response.text[:500])
        return {
            "access_token": re.search(r'data-access-token="([^"]+)"', response.text).group(1),
            "transaction_route": re.search(r'data-transaction-route="([^"]+)"', response.text).group(1),
            "landing_route": re.search(r'data-landing-route="([^"]+)"', response.text).group(1),
            "html": response.text,
        }

    def _transaction_params(self, checkout, **values):
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method.id,
            "token_id": None,
            "amount": self.pack.price,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": checkout["landing_route"],
            "is_validation": False,
            "access_token": checkout["access_token"],
            **values,
        }

    def _tx_count(self):
        return self.env["payment.transaction"].sudo().search_count([])

    def assertRefused(self, response, status, message):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertIn("o_iap_credits_refusal", response.text)
        self.assertIn(message, response.text)

    def assertRpcRefused(self, result, message):
        self.assertIn("error", result, "the route must refuse")
        self.assertIn(message, result["error"]["data"]["message"])

    def test_purchase_end_to_end(self):
        self.account._credits_grant(10, "Welcome")
        self.authenticate(self.manager.login, self.manager.login)
        page = self.url_open(f"/iap_credits/buy/{self.account.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Test Pack", page.text)
        self.assertNotIn("Lead Pack", page.text, "only the packs of the account's service")
        self.assertNotIn("Other Company Pack", page.text, "only the packs of the account's company")
        self.assertIn("10.00", page.text, "the balance is shown")

        checkout = self._open_checkout()
        self.assertIn("o_payment_form", checkout["html"])
        self.assertEqual(checkout["transaction_route"], f"/iap_credits/transaction/{self.account.id}/{self.pack.id}")
        result = self._jsonrpc(checkout["transaction_route"], self._transaction_params(checkout))
        self.assertNotIn("error", result, result)
        values = result["result"]
        tx = self.env["payment.transaction"].sudo().search([("reference", "=", values["reference"])])
        self.assertEqual(
            (tx.iap_credit_account_id, tx.iap_credit_pack_id, tx.iap_credits, tx.amount),
            (self.account, self.pack, 150, 12.5),
        )
        self.assertEqual(tx.partner_id, self.manager.partner_id)
        self.assertTrue(tx.reference.startswith("CREDITS-"), tx.reference)

        # What the demo payment form does, then the status page's polling.
        self._jsonrpc(
            "/payment/demo/simulate_payment",
            {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
        )
        poll = self._jsonrpc("/payment/status/poll", {})["result"]
        self.assertEqual(poll["state"], "done")
        self.assertCredits(self.account, 160)

        landing = self.url_open(poll["landing_route"])
        self.assertEqual(landing.status_code, 200)
        self.assertIn("o_iap_credits_purchase_done", landing.text)
        self.assertIn("160.00", landing.text)
        self.assertIn(f"/odoo/action-iap.iap_account_action/{self.account.id}", landing.text)
        # Reloading the landing page and polling again grant nothing more.
        self.url_open(poll["landing_route"])
        self._jsonrpc("/payment/status/poll", {})
        self.assertEqual(len(self._purchase_rows()), 1)
        self.assertCredits(self.account, 160)

    def test_pending_purchase_landing(self):
        self.authenticate(self.manager.login, self.manager.login)
        checkout = self._open_checkout()
        values = self._jsonrpc(checkout["transaction_route"], self._transaction_params(checkout))["result"]
        self._jsonrpc(
            "/payment/demo/simulate_payment",
            {"reference": values["reference"], "payment_details": "4242", "simulated_state": "pending"},
        )
        poll = self._jsonrpc("/payment/status/poll", {})["result"]
        landing = self.url_open(poll["landing_route"])
        self.assertIn("o_iap_credits_purchase_pending", landing.text)
        self.assertIn("o_iap_credits_pending", landing.text, "the account header shows the pending purchase")
        self.assertCredits(self.account, 0)

    def test_non_manager_refused(self):
        self.authenticate(self.user.login, self.user.login)
        count = self._tx_count()
        self.assertRefused(self.url_open(f"/iap_credits/buy/{self.account.id}"), 403, "Only IAP credit managers")
        self.assertRefused(
            self.url_open(f"/iap_credits/buy/{self.account.id}/{self.pack.id}"), 403, "Only IAP credit managers"
        )
        result = self._jsonrpc(
            f"/iap_credits/transaction/{self.account.id}/{self.pack.id}",
            {"provider_id": self.provider.id, "amount": self.pack.price, "access_token": "x", "flow": "direct"},
        )
        self.assertRpcRefused(result, "Only IAP credit managers")
        self.assertEqual(self._tx_count(), count)

    def test_public_user_sent_to_login(self):
        response = self.url_open(f"/iap_credits/buy/{self.account.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_bad_pages_refused(self):
        odoo_account = self.env["iap.account"].create(
            {"service_id": self.service_sms.id, "credit_mode": "odoo", "account_token": "tok"}
        )
        self.authenticate(self.manager.login, self.manager.login)
        cases = [
            (f"/iap_credits/buy/{self.other_account.id}", "does not exist or is not accessible"),
            (f"/iap_credits/buy/{self.other_account.id}/{self.other_company_pack.id}", "not accessible"),
            ("/iap_credits/buy/987654321", "does not exist or is not accessible"),
            (f"/iap_credits/buy/{odoo_account.id}", "uses Odoo IAP"),
            (f"/iap_credits/buy/{self.account.id}/987654321", "is not offered"),
            (f"/iap_credits/buy/{self.account.id}/{self.other_service_pack.id}", "is not offered"),
            (f"/iap_credits/buy/{self.account.id}/{self.other_company_pack.id}", "is not offered"),
        ]
        for url, message in cases:
            with self.subTest(url=url):
                self.assertRefused(self.url_open(url), 404, message)
        self.pack.action_archive()
        self.assertRefused(self.url_open(f"/iap_credits/buy/{self.account.id}/{self.pack.id}"), 404, "is not offered")

    def test_tampered_transactions_refused(self):
        self.authenticate(self.manager.login, self.manager.login)
        checkout = self._open_checkout()
        count = self._tx_count()
        route = checkout["transaction_route"]
        cases = [
            (route, {"amount": 0.01}, "does not match the price"),
            (route, {"amount": "abc"}, "does not match the price"),
            (route, {"access_token": "forged"}, "has expired"),
            (route, {"is_validation": True}, "must be paid"),
            (route, {"provider_id": 987654321}, "cannot be used"),
            (route, {"iap_credits": 1e6}, "not whitelisted"),
            (route, {"custom_create_values": {"iap_credits": 1e6}}, "not whitelisted"),
            (f"/iap_credits/transaction/{self.account.id}/{self.other_service_pack.id}", {}, "is not offered"),
            (f"/iap_credits/transaction/{self.account.id}/{self.other_company_pack.id}", {}, "is not offered"),
            (f"/iap_credits/transaction/{self.other_account.id}/{self.pack.id}", {}, "not accessible"),
        ]
        for url, values, message in cases:
            with self.subTest(url=url, values=values):
                self.assertRpcRefused(self._jsonrpc(url, self._transaction_params(checkout, **values)), message)
        self.assertEqual(self._tx_count(), count, "nothing was created")
        self.assertCredits(self.account, 0)

    def test_landing_page_of_others_refused(self):
        tx = self._create_tx(account=self.other_account, pack=self.other_company_pack)
        self._simulate(tx, "done")
        self.authenticate(self.manager.login, self.manager.login)
        self.assertRefused(self.url_open(f"/iap_credits/purchase/{tx.id}"), 404, "not accessible")
        own = self._create_tx()
        self.assertRefused(self.url_open(f"/iap_credits/purchase/{own.id}?access_token=forged"), 403, "invalid")
        self.assertRefused(self.url_open("/iap_credits/purchase/987654321"), 404, "does not exist")


@tagged("post_install", "-at_install")
class TestCreditPurchaseAccess(CreditPurchaseCase):
    def test_packs_of_other_companies_invisible(self):
        other = self.env["res.company"].create({"name": "Pack Company"})
        pack = self.env["iap.credit.pack"].create(
            {"name": "Hidden", "service_id": self.service_sms.id, "credits": 1, "price": 1, "company_id": other.id}
        )
        user = new_test_user(
            self.env, login="iap_pack_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )
        self.assertFalse(self.env["iap.credit.pack"].with_user(user).search([("id", "=", pack.id)]))
