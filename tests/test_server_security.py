# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: what a stranger, a client of another database or a runaway client can
do through the routes, over real HTTP: stock-shaped refusals, nothing charged, nothing
leaked, no token in the logs."""

import logging
from uuid import uuid4

from odoo.tests import tagged

from .common_server import ServerCase, stock_client_decode

ROUTES = ("/iap/1/balance", "/iap/1/get-accounts-information", "/iap/1/update-warning-email-alerts")


@tagged("post_install", "-at_install")
class TestServerSecurity(ServerCase):
    def test_own_accounts_are_never_reachable(self):
        own = self.env["iap.account"].get("sms")
        own.sudo().credit_mode = "local"
        own.sudo()._credits_grant(100, "own credits")
        answer = self.call("/iap/1/balance", account_token=own.sudo().account_token, service_name="sms")
        self.assertStockError(answer, "AccessError", "not registered")
        answer = self.call(
            "/iap/1/get-accounts-information", iap_accounts=[{"token": own.sudo().account_token, "service": "sms"}]
        )
        self.assertEqual(stock_client_decode(answer), ("result", {}))

    def test_bad_input_of_any_shape(self):
        account = self.make_client_account("sms", credits=10)
        bodies = [
            b"not json",
            b"[]",
            b'{"jsonrpc": "1.0", "params": {}}',
            b'{"jsonrpc": "2.0", "params": [1, 2]}',
            {"jsonrpc": "2.0", "method": "call", "params": {"unexpected": 1}},
            {"jsonrpc": "2.0", "method": "call", "params": {"account_token": ["x"], "service_name": "sms"}},
            {"jsonrpc": "2.0", "method": "call", "params": {"account_token": "x" * 10000, "service_name": "sms"}},
            {"jsonrpc": "2.0", "method": "call", "params": {"account_token": account.account_token, "service_name": 5}},
        ]
        for body in bodies:
            response = self.post("/iap/1/balance", body)
            self.assertEqual(response.status_code, 200, body)
            self.assertStockError(response.json())
        for iap_accounts in ("x", [1], [{"token": 5}], [{"token": "t"}] * 101):
            self.assertStockError(self.call("/iap/1/get-accounts-information", iap_accounts=iap_accounts))
        self.assertEqual(account.credit_balance, 10)

    def test_oversized_body_refused(self):
        response = self.post(
            "/iap/1/balance", b'{"jsonrpc": "2.0", "params": {"x": "' + b"a" * (1024 * 1024 + 10) + b'"}}'
        )
        self.assertEqual(response.status_code, 200)
        self.assertStockError(response.json(), message="larger than")

    def test_rate_limit_per_token(self):
        account = self.make_client_account("sms", credits=10)
        other = self.make_client_account("sms", credits=10)
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_rate_limit", "3")
        params = {"account_token": account.account_token, "service_name": "sms"}
        answers = [self.call("/iap/1/balance", **params) for _i in range(5)]
        self.assertEqual([stock_client_decode(a)[0] for a in answers].count("result"), 3)
        self.assertStockError(answers[-1], message="Too many calls")
        # Another client is not slowed by the first one.
        answer = self.call("/iap/1/balance", account_token=other.account_token, service_name="sms")
        self.assertEqual(stock_client_decode(answer), ("result", 10.0))

    def test_tokens_never_logged(self):
        account = self.make_client_account("sms", credits=10)
        with self.assertLogs("odoo.addons.iap_credits", level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.iap_credits").debug("start")
            self.call("/iap/1/balance", account_token=account.account_token, service_name="sms", bad=1)
            self.call("/iap/1/balance", account_token=account.account_token + "x", service_name="sms")
        self.assertNotIn(account.account_token, "\n".join(logs.output))

    def _ledger_rows(self):
        return self.env["iap.account"].sudo().search([]).transaction_ids

    def test_a_client_sees_only_its_own_accounts(self):
        mine = self.make_client_account("sms", credits=10)
        other_customer = self.env["res.partner"].create({"name": "Other Customer"})
        theirs = self.make_client_account("sms", partner=other_customer, credits=99)
        answer = self.call(
            "/iap/1/get-accounts-information", iap_accounts=[{"token": mine.account_token, "service": "sms"}]
        )
        result = stock_client_decode(answer)[1]
        self.assertEqual(set(result), {mine.account_token})
        self.assertEqual([info["balance"] for info in result.values()], [10.0])
        # A guess close to another client's token is a stranger.
        answer = self.call("/iap/1/balance", account_token=theirs.account_token[:-1], service_name="sms")
        self.assertStockError(answer, "AccessError", "not registered")
        answer = self.call(
            "/iap/1/update-warning-email-alerts",
            account_token=theirs.account_token.upper(),
            warning_threshold=1,
            warning_emails=[{"email": "attacker@example.com"}],
        )
        self.assertStockError(answer, "AccessError")
        self.assertFalse(theirs.warning_email)

    def test_nothing_charged_or_created_on_refusal(self):
        account = self.make_client_account("sms", credits=10)
        rows, accounts = self._ledger_rows(), self.env["iap.account"].sudo().search_count([])
        for route in ROUTES:
            for body in (b"{", {"jsonrpc": "2.0", "params": {"account_token": account.account_token, "x": 1}}):
                self.assertStockError(self.post(route, body).json())
            self.assertStockError(self.call(route, account_token=uuid4().hex, service_name="sms"))
        self.assertEqual(self._ledger_rows(), rows)
        self.assertEqual(self.env["iap.account"].sudo().search_count([]), accounts)
        self.assertEqual(account.credit_balance, 10)

    def test_refusals_decode_as_the_stock_client_generic_error(self):
        """``iap_jsonrpc`` turns any name but InsufficientCreditError into its generic
        error: a refusal must never be read as a credit problem, nor as a result."""
        for route in ROUTES:
            for answer in (self.post(route, b"not json").json(), self.call(route, account_token=uuid4().hex)):
                name, data = stock_client_decode(answer)
                self.assertNotIn(name, ("result", "InsufficientCreditError"), answer)
                self.assertIsInstance(data["message"], str)
                self.assertEqual(answer["jsonrpc"], "2.0")

    def test_get_and_other_methods_are_refused(self):
        account = self.make_client_account("sms", credits=10)
        response = self.url_open(f"/iap/1/balance?account_token={account.account_token}&service_name=sms")
        self.assertIn(response.status_code, (404, 405))
        self.assertNotIn("10.0", response.text)

    def test_open_mode_tokens_never_logged(self):
        self.set_server_mode("open")
        token = uuid4().hex
        # INFO and above: what a server logs unless SQL debugging (which logs every query) is on.
        with self.assertLogs("odoo", level=logging.INFO) as logs:
            logging.getLogger("odoo").info("start")
            self.call("/iap/1/balance", account_token=token, service_name="sms", dbuuid=self.dbuuid)
            self.call("/iap/1/update-warning-email-alerts", account_token=token, warning_threshold="x")
        self.assertNotIn(token, "\n".join(logs.output))
