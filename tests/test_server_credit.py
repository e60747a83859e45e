# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the client databases' Buy Credit page, `/iap/1/credit`, over real HTTP.

The link is built by the stock client code (`iap.account.get_credits_url` with the client's
token, this server as its endpoint) and opened by a visitor who is not logged in here; the
payment goes through the demo provider's real routes and the stock status page.
"""

import re
from urllib.parse import urlencode, urljoin

from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .common import JsonRpcMixin
from .test_credit_purchase import CreditPurchaseCase

CLIENT_TOKEN = "c2-client-token-5a1f0e9d"


@tagged("post_install", "-at_install")
class TestServerCredit(JsonRpcMixin, HttpCase, CreditPurchaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", "closed")
        cls.client_partner = cls.env["res.partner"].create({"name": "Client Database Ltd", "email": "c@example.com"})
        cls.client_account = cls.env["iap.account"].create(
            {
                "name": "Client SMS",
                "service_id": cls.service_sms.id,
                "credit_mode": "local",
                "account_token": CLIENT_TOKEN,
                "client_partner_id": cls.client_partner.id,
            }
        )
        cls.other_client = cls.env["iap.account"].create(
            {
                "name": "Other client SMS",
                "service_id": cls.service_sms.id,
                "credit_mode": "local",
                "account_token": "another-client-token",
                "client_partner_id": cls.env["res.partner"].create({"name": "Other Client"}).id,
            }
        )
        cls.ocr_pack = cls.env["iap.credit.pack"].create(
            {
                "name": "Digitization Pack",
                "service_id": cls.env.ref("iap_credits.iap_service_invoice_ocr").id,
                "credits": 10,
                "price": 1,
                "company_id": cls.company.id,
            }
        )

    def setUp(self):
        super().setUp()
        # The client database's stock code, pointed at this server, builds the link.
        self.env["ir.config_parameter"].sudo().set_param("iap.endpoint", self.base_url())

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _client_link(self, token=CLIENT_TOKEN, service_name="sms"):
        url = self.env["iap.account"].get_credits_url(service_name, account_token=token)
        self.assertTrue(url.startswith(f"{self.base_url()}/iap/1/credit?"), url)
        return url

    def _jsonrpc(self, route, params):
        response = self.opener.post(
            urljoin(self.base_url(), route), json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params}
        )
        response.raise_for_status()
        return response.json()

    def _open_packs(self, url=None):
        page = self.url_open(url or self._client_link())
        self.assertEqual(page.status_code, 200, page.text[:500])
        return page

    def _open_client_checkout(self, pack=None):
        page = self._open_packs()
        pack = pack or self.pack
        href = re.search(rf'data-pack-id="{pack.id}".*?href="([^"]+)"', page.text, re.S).group(1)
        checkout = self.url_open(href.replace("&amp;", "&"))
        self.assertEqual(checkout.status_code, 200, checkout.text[:500])
        return {
            "url": href.replace("&amp;", "&"),
            "access_token": re.search(r'data-access-token="([^"]+)"', checkout.text).group(1),
            "transaction_route": re.search(r'data-transaction-route="([^"]+)"', checkout.text).group(1),
            "landing_route": re.search(r'data-landing-route="([^"]+)"', checkout.text).group(1).replace("&amp;", "&"),
            "html": checkout.text,
        }

    def _pay(self, checkout, state="done"):
        """What the demo payment form does: the transaction route, the simulated payment, the
        status page's polling. Return the transaction and the poll's answer."""
        result = self._jsonrpc(checkout["transaction_route"], self._transaction_params(checkout))
        self.assertNotIn("error", result, result)
        tx = self.env["payment.transaction"].sudo().search([("reference", "=", result["result"]["reference"])])
        self._jsonrpc(
            "/payment/demo/simulate_payment",
            {"reference": tx.reference, "payment_details": "4242", "simulated_state": state},
        )
        return tx, self._jsonrpc("/payment/status/poll", {})["result"]

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

    def _invoices(self, partner=None):
        return (
            self.env["account.move"]
            .sudo()
            .search([("partner_id", "=", (partner or self.client_partner).id), ("move_type", "!=", "entry")])
        )

    def assertRefusedPage(self, response, status, message):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertIn("o_iap_credits_refusal", response.text)
        self.assertIn(message, response.text)
        self.assertNotIn("/odoo/action-iap", response.text, "no link into this database's back end")

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_link_lists_the_packs_of_the_client_account(self):
        self.client_account._credits_grant(7, "Welcome")
        page = self._open_packs()
        self.assertIn("o_iap_credits_client_page", page.text)
        self.assertIn("Test Pack", page.text)
        self.assertNotIn("Digitization Pack", page.text, "only the packs of the link's service")
        self.assertIn("Client Database Ltd", page.text)
        self.assertIn("7.00", page.text, "the client account's balance")
        self.assertNotIn("/odoo/action-iap", page.text)
        self.assertNotIn("/iap_credits/buy/", page.text, "no link to the logged-in pages")
        self.assertNotIn("Back to the account", page.text)
        # The link of another service for the same token is another (unknown) account.
        self.assertRefusedPage(self.url_open(self._client_link(service_name="invoice_ocr")), 404, "No account")

    def test_pay_grants_once_and_invoices_the_client(self):
        self.client_account._credits_grant(10, "Welcome")
        checkout = self._open_client_checkout()
        self.assertIn("o_payment_form", checkout["html"])
        self.assertIn('data-payment-method-code="demo"', checkout["html"])
        self.assertEqual(
            checkout["transaction_route"], f"/iap_credits/client/transaction/{self.client_account.id}/{self.pack.id}"
        )
        tx, poll = self._pay(checkout)
        self.assertEqual(
            (tx.iap_credit_account_id, tx.iap_credit_pack_id, tx.iap_credits, tx.amount, tx.partner_id, tx.tokenize),
            (self.client_account, self.pack, 150, 12.5, self.client_partner, False),
        )
        self.assertEqual(poll["state"], "done")
        self.assertCredits(self.client_account, 160)
        landing = self.url_open(poll["landing_route"])
        self.assertEqual(landing.status_code, 200)
        self.assertIn("o_iap_credits_purchase_done", landing.text)
        self.assertIn("160.00", landing.text)
        self.assertNotIn("/odoo/action-iap", landing.text)

        # Processed again by every path: the status page, the cron's method, by hand, the landing page.
        self._jsonrpc("/payment/status/poll", {})
        tx._post_process()
        tx.action_post_process()
        self.url_open(poll["landing_route"])
        self.assertEqual(len(self._purchase_rows(self.client_account)), 1, "granted once")
        self.assertCredits(self.client_account, 160)
        self.assertCredits(self.account, 0)
        self.assertCredits(self.other_client, 0)

        invoice = self._invoices()
        self.assertEqual(len(invoice), 1, "one invoice per paid pack")
        self.assertEqual(tx.iap_credit_invoice_id, invoice)
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertEqual(
            (invoice.move_type, invoice.state, invoice.partner_id, invoice.currency_id, invoice.amount_total),
            ("out_invoice", "posted", self.client_partner, self.pack.currency_id, 12.5),
        )
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertTrue(tx.payment_id, "the stock post-processing booked the payment")
        self.assertEqual(tx.payment_id.partner_id, self.client_partner)
        self.assertIn(invoice, tx.payment_id.invoice_ids | tx.payment_id.reconciled_invoice_ids)
        self.assertIn("Test Pack", invoice.invoice_line_ids.name)
        self.assertFalse(self._invoices(self.other_client.client_partner_id))

    def test_failed_or_pending_payment_invoices_nothing(self):
        for state in ("pending", "error"):
            with self.subTest(state=state):
                tx, poll = self._pay(self._open_client_checkout(), state=state)
                self.assertEqual(tx.state, state)
                tx._post_process()
                self.assertFalse(tx.iap_credit_invoice_id)
                self.assertFalse(self._invoices())
                self.assertCredits(self.client_account, 0)
                landing = self.url_open(poll["landing_route"])
                self.assertEqual(landing.status_code, 200)
        self.client_account.invalidate_recordset()
        self.assertEqual(self.client_account.credit_purchase_pending_count, 1)

    def test_tampered_transactions_refused(self):
        checkout = self._open_client_checkout()
        other_checkout = self._open_client_checkout(pack=self.pack.copy({"name": "Big Pack", "price": 99}))
        count = self._tx_count()
        route = checkout["transaction_route"]
        other_method = self.env["payment.method"].search([("id", "!=", self.payment_method.id)], limit=1)
        cases = [
            (route, {"amount": 0.01}, "does not match the price"),
            (route, {"amount": None}, "does not match the price"),
            (route, {"access_token": "forged"}, "invalid or has expired"),
            (route, {"access_token": other_checkout["access_token"]}, "invalid or has expired"),
            (route, {"is_validation": True}, "must be paid"),
            (route, {"flow": "token", "token_id": 1}, "Saved payment methods"),
            (route, {"token_id": 1}, "Saved payment methods"),
            (route, {"provider_id": 987654321}, "cannot be used"),
            (route, {"payment_method_id": other_method.id}, "cannot be used"),
            (route, {"partner_id": self.partner.id}, "not whitelisted"),
            (route, {"iap_credits": 1e6}, "not whitelisted"),
            (route, {"custom_create_values": {"iap_credit_account_id": self.account.id}}, "not whitelisted"),
            # The pay token of one account and pack is worth nothing on another.
            (f"/iap_credits/client/transaction/{self.other_client.id}/{self.pack.id}", {}, "invalid or has expired"),
            (f"/iap_credits/client/transaction/{self.account.id}/{self.pack.id}", {}, "invalid or has expired"),
            (f"/iap_credits/client/transaction/{self.client_account.id}/{self.ocr_pack.id}", {}, "invalid"),
            (f"/iap_credits/client/transaction/{self.client_account.id}/987654321", {}, "invalid"),
        ]
        for url, values, message in cases:
            with self.subTest(url=url, values=values):
                result = self._jsonrpc(url, self._transaction_params(checkout, **values))
                self.assertIn("error", result, "the route must refuse")
                self.assertIn(message, result["error"]["data"]["message"])
        # The price changed since the page was opened: its token no longer pays.
        self.pack.price = 1.0
        result = self._jsonrpc(route, self._transaction_params(checkout, amount=1.0))
        self.assertIn("invalid or has expired", result["error"]["data"]["message"])
        # The logged-in flow stays closed to visitors.
        result = self._jsonrpc(
            f"/iap_credits/transaction/{self.client_account.id}/{self.pack.id}", self._transaction_params(checkout)
        )
        self.assertIn("error", result)
        self.assertEqual(self._tx_count(), count, "nothing was created")
        self.assertCredits(self.client_account, 0)
        self.assertFalse(self._invoices())

    def test_unknown_links_refused(self):
        count = self._tx_count()
        own_link = self._client_link(token=self.account.sudo().account_token or "no-token-own-account")
        good = dict(re.findall(r"([a-z_]+)=([^&]+)", self._client_link().split("?", 1)[1]))
        cases = [
            ("/iap/1/credit?" + urlencode({**good, "account_token": "0" * 40}), 404, "No account"),
            ("/iap/1/credit?" + urlencode({**good, "account_token": "not-a-hash"}), 404, "No account"),
            ("/iap/1/credit?" + urlencode({**good, "account_token": CLIENT_TOKEN}), 404, "No account"),
            ("/iap/1/credit?" + urlencode({**good, "service_name": "nope"}), 404, "No account"),
            ("/iap/1/credit?" + urlencode({**good, "hashed": "0"}), 404, "not valid"),
            ("/iap/1/credit", 404, "not valid"),
            (own_link, 404, "No account"),
            (f"/iap_credits/client/{self.client_account.id}?access_token=forged", 404, "invalid or has expired"),
            (f"/iap_credits/client/{self.client_account.id}/{self.pack.id}", 404, "invalid or has expired"),
            ("/iap_credits/client/purchase/987654321?access_token=x", 404, "invalid"),
        ]
        for url, status, message in cases:
            with self.subTest(url=url):
                self.assertRefusedPage(self.url_open(url), status, message)
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", "off")
        self.assertRefusedPage(self.url_open(self._client_link()), 403, "does not sell IAP credits")
        self.assertEqual(self._tx_count(), count)

    def test_landing_replay_moves_nothing(self):
        checkout = self._open_client_checkout()
        result = self._jsonrpc(checkout["transaction_route"], self._transaction_params(checkout))
        tx = self.env["payment.transaction"].sudo().search([("reference", "=", result["result"]["reference"])])
        # Paid, not post-processed yet: the landing page (replayed) shows it being processed.
        tx._process("demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"})
        for _attempt in range(2):
            landing = self.url_open(tx.landing_route)
            self.assertIn("o_iap_credits_purchase_processing", landing.text)
        self.assertCredits(self.client_account, 0)
        self.assertFalse(self._invoices())
        # Another transaction's id with this token, or a forged token: refused.
        token = tx.landing_route.split("access_token=", 1)[1]
        own_tx = self._create_tx()
        for url in (f"/iap_credits/client/purchase/{own_tx.id}?access_token={token}", f"{tx.landing_route}x"):
            self.assertRefusedPage(self.url_open(url), 404, "invalid")
        tx._post_process()
        self.assertCredits(self.client_account, 150)
        self.assertIn("o_iap_credits_purchase_done", self.url_open(tx.landing_route).text)

    def test_invoice_link_protected_from_billing_users(self):
        tx, _poll = self._pay(self._open_client_checkout(), state="pending")
        billing = new_test_user(self.env, login="c2_billing", groups="base.group_user,account.group_account_invoice")
        other_invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.partner.id, "invoice_line_ids": [(0, 0, {"name": "x"})]}
        )
        self.authenticate(billing.login, billing.login)
        for values in ({"invoice_ids": [(6, 0, other_invoice.ids)]}, {"iap_credit_invoice_id": other_invoice.id}):
            with self.subTest(values=values):
                response = self._call("payment.transaction", "write", [tx.ids, values])
                self.assertIn("error", response)
                self.assertIn("cannot be changed", response["error"]["data"]["message"])
        tx._process("demo", {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"})
        tx._post_process()
        self.assertEqual(tx.invoice_ids, tx.iap_credit_invoice_id)
        self.assertEqual(tx.iap_credit_invoice_id.partner_id, self.client_partner)
        self.assertEqual(other_invoice.payment_state, "not_paid")

    def test_new_token_invalidates_the_links(self):
        """Once the client account's token changes, its old link and the pages opened from it
        neither show nor sell anything."""
        old_link = self._client_link()
        checkout = self._open_client_checkout()
        self.client_account.account_token = "c2-rotated-token"
        self.assertRefusedPage(self.url_open(old_link), 404, "No account")
        self.assertRefusedPage(self.url_open(checkout["url"]), 404, "invalid or has expired")
        result = self._jsonrpc(checkout["transaction_route"], self._transaction_params(checkout))
        self.assertIn("invalid or has expired", result["error"]["data"]["message"])
        self.assertIn("Test Pack", self._open_packs(self._client_link(token="c2-rotated-token")).text)
        self.assertFalse(self.client_account.transaction_ids.filtered(lambda t: t.kind == "purchase"))
