# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the account routes of the stock IAP client, over real HTTP."""

from ast import literal_eval
from uuid import uuid4

from odoo.tests import tagged

from .common_server import ServerCase, stock_client_decode


@tagged("post_install", "-at_install")
class TestServerAccounts(ServerCase):
    def test_balance_of_a_registered_client(self):
        account = self.make_client_account("sms", credits=42)
        answer = self.call(
            "/iap/1/balance", account_token=account.account_token, service_name="sms", dbuuid=self.dbuuid
        )
        self.assertEqual(stock_client_decode(answer), ("result", 42.0))
        self.assertEqual(account.client_dbuuid, self.dbuuid)

    def test_accounts_information_as_view_my_services_reads_it(self):
        sms = self.make_client_account("sms", credits=10)
        sms.warning_threshold = 3
        autocomplete = self.make_client_account("partner_autocomplete", credits=5)
        unknown = uuid4().hex
        answer = self.call(
            "/iap/1/get-accounts-information",
            iap_accounts=[
                {"token": sms.account_token, "service": "sms"},
                {"token": autocomplete.account_token, "service": "partner_autocomplete"},
                {"token": unknown, "service": "sms"},
            ],
            dbuuid=self.dbuuid,
        )
        kind, result = stock_client_decode(answer)
        self.assertEqual(kind, "result")
        self.assertEqual(set(result), {sms.account_token, autocomplete.account_token})
        self.assertEqual(
            result[sms.account_token], {"balance": 10.0, "warning_threshold": 3.0, "registered": "registered"}
        )
        self.assertEqual(result[autocomplete.account_token]["balance"], 5.0)

    def test_a_token_of_another_service_is_not_that_account(self):
        sms = self.make_client_account("sms", credits=10)
        answer = self.call("/iap/1/balance", account_token=sms.account_token, service_name="partner_autocomplete")
        self.assertStockError(answer, "AccessError", "not registered")

    def test_update_warning_email_alerts(self):
        account = self.make_client_account("sms", credits=10)
        answer = self.call(
            "/iap/1/update-warning-email-alerts",
            account_token=account.account_token,
            warning_threshold=25,
            warning_emails=[{"email": "ops@client.example.com", "lang_code": "en_US"}],
        )
        self.assertEqual(stock_client_decode(answer), ("result", True))
        self.assertEqual(account.warning_threshold, 25)
        self.assertTrue(account.warning_enabled)
        self.assertEqual(account.warning_email, "ops@client.example.com")
        # No recipient any more: no warning.
        self.call(
            "/iap/1/update-warning-email-alerts",
            account_token=account.account_token,
            warning_threshold=25,
            warning_emails=[],
        )
        self.assertFalse(account.warning_enabled)

    def test_update_warning_refuses_bad_values(self):
        account = self.make_client_account("sms")
        for threshold, emails in (
            ("25", []),
            (-1, []),
            (5, "ops@client.example.com"),
            (5, [{"email": "a@b.example, c@d.example"}]),
            (5, [{"email": "not an address"}]),
            (5, [{"email": 3}]),
        ):
            answer = self.call(
                "/iap/1/update-warning-email-alerts",
                account_token=account.account_token,
                warning_threshold=threshold,
                warning_emails=emails,
            )
            self.assertStockError(answer)
        self.assertEqual(account.warning_threshold, 0)
        self.assertFalse(account.warning_email)

    def test_closed_mode_refuses_unknown_tokens_and_creates_nothing(self):
        before = self.env["iap.account"].search_count([])
        answer = self.call("/iap/1/balance", account_token=uuid4().hex, service_name="sms", dbuuid=self.dbuuid)
        self.assertStockError(answer, "AccessError", "not registered")
        self.assertEqual(self.env["iap.account"].search_count([]), before)

    def test_open_mode_creates_a_client_account_with_trial_credits(self):
        self.set_server_mode("open")
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_trial_credits", "7.5")
        token = uuid4().hex
        answer = self.call("/iap/1/balance", account_token=token, service_name="sms", dbuuid=self.dbuuid)
        self.assertEqual(stock_client_decode(answer), ("result", 7.5))
        account = self.env["iap.account"]._server_find_client_account(token, "sms")
        self.assertTrue(account.client_partner_id)
        self.assertEqual(account.credit_mode, "local")
        self.assertEqual(account.client_dbuuid, self.dbuuid)
        self.assertEqual(account.transaction_ids.mapped("credits"), [7.5])
        # The same database's next account has the same owner; a second call grants nothing.
        self.call("/iap/1/balance", account_token=token, service_name="sms", dbuuid=self.dbuuid)
        other = uuid4().hex
        self.call("/iap/1/balance", account_token=other, service_name="partner_autocomplete", dbuuid=self.dbuuid)
        second = self.env["iap.account"]._server_find_client_account(other, "partner_autocomplete")
        self.assertEqual(second.client_partner_id, account.client_partner_id)
        self.assertEqual(account.credit_balance, 7.5)

    def test_open_mode_serves_only_local_services(self):
        self.set_server_mode("open")
        service = self.env["iap.service"].search([("has_local_engine", "=", False)], limit=1)
        self.assertTrue(service, "a service without a local engine")
        answer = self.call("/iap/1/balance", account_token=uuid4().hex, service_name=service.technical_name)
        self.assertStockError(answer, "AccessError")
        self.assertFalse(
            self.env["iap.account"].search([("service_id", "=", service.id), ("client_partner_id", "!=", False)])
        )

    def test_off_mode_refuses_everything(self):
        account = self.make_client_account("sms", credits=10)
        self.set_server_mode("off")
        for route, params in (
            ("/iap/1/balance", {"account_token": account.account_token, "service_name": "sms"}),
            ("/iap/1/get-accounts-information", {"iap_accounts": [{"token": account.account_token, "service": "sms"}]}),
        ):
            self.assertStockError(self.call(route, **params), "AccessError", "does not serve")

    def test_own_work_never_pays_with_a_client_account(self):
        client = self.make_client_account("sms", credits=10)
        client.company_ids = self.env.company
        own = self.env["iap.account"].get("sms")
        self.assertNotEqual(own, client)
        self.assertFalse(own.client_partner_id)

    def test_partner_smart_button(self):
        self.make_client_account("sms", credits=10)
        self.make_client_account("partner_autocomplete", credits=5)
        self.assertEqual(self.customer.iap_client_account_count, 2)
        self.assertEqual(self.customer.iap_client_credits, 15)
        action = self.customer.action_open_iap_client_accounts()
        self.assertEqual(self.env["iap.account"].search_count(action["domain"]), 2)

    def test_view_my_services_lists_own_accounts_only(self):
        client = self.make_client_account("sms", credits=10)
        action = self.env.ref("iap.iap_account_action")
        client_action = self.env.ref("iap_credits.iap_account_client_action")
        self.assertNotIn(client, self.env["iap.account"].search(literal_eval(action.domain)))
        self.assertIn(client, self.env["iap.account"].search(literal_eval(client_action.domain)))
