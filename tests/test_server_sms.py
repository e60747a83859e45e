# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: `/api/sms/3/send` and the SMS account routes, over real HTTP, as the stock
client (`sms.tools.sms_api.SmsApi`) calls them."""

import json
import re
from types import SimpleNamespace
from uuid import uuid4

from odoo.tests import new_test_user, tagged

from .common_server_sms import ServerSmsCase

NUMBERS = ["+32470123456", "+32470123457", "+32470123458"]


@tagged("post_install", "-at_install")
class TestServerSmsSend(ServerSmsCase):
    def _ledger_rows(self, account):
        return self.env["iap.credit.transaction"].sudo().search_count([("account_id", "=", account.id)])

    def test_send_charged_per_number(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        answer, uuids = self.send(account, NUMBERS)
        results = self.assertResult(answer)
        self.assertEqual([result["uuid"] for result in results], uuids)
        self.assertEqual({result["state"] for result in results}, {"success"})
        charged = sum(result["credit"] for result in results)
        self.assertGreater(charged, 0)
        self.assertAlmostEqual(account.credit_balance, 10 - charged)
        outbox = self.outbox(uuids)
        self.assertEqual(sorted(outbox.mapped("number")), NUMBERS)
        self.assertEqual(outbox.account_id, account)
        self.assertEqual(outbox.gateway_id, self.sandbox)
        self.assertAlmostEqual(sum(outbox.mapped("credits")), charged)
        # The sandbox delivers at once: no webhook, no report, the outbox says delivered.
        self.assertEqual(set(outbox.mapped("state")), {"delivered"})
        self.assertFalse(self.env["iap.sms.server.report"].sudo().search([("uuid", "in", uuids)]))

    def test_national_numbers_read_in_client_country(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        self.env.company.country_id = self.env.ref("base.fr")
        answer, uuids = self.send(account, ["0470 12 34 56"])
        self.assertEqual(self.assertResult(answer)[0]["state"], "success")
        self.assertEqual(self.outbox(uuids).number, "+32470123456")

    def test_retry_of_a_sent_batch_not_charged_again(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:1])
        messages = [{"content": "Hello from the client", "numbers": [{"uuid": uuids[0], "number": NUMBERS[0]}]}]
        balance = account.credit_balance
        again = self.call("/api/sms/3/send", messages=messages, account_token=account.account_token)
        self.assertEqual(self.assertResult(again)[0]["state"], "success")
        self.assertEqual(account.credit_balance, balance)
        self.assertEqual(len(self.outbox(uuids)), 1)

    def test_empty_account_insufficient_credit_per_number(self):
        account = self.make_sms_account(self.customer_a)
        rows = self._ledger_rows(account)
        answer, uuids = self.send(account, NUMBERS)
        results = self.assertResult(answer)
        self.assertEqual([result["uuid"] for result in results], uuids)
        self.assertEqual({result["state"] for result in results}, {"insufficient_credit"})
        self.assertEqual({result["credit"] for result in results}, {0.0})
        # The reason is the client's: not this database's own buy page nor its accounts.
        self.assertNotIn("http", results[0]["failure_reason"])
        self.assertEqual(account.credit_balance, 0)
        self.assertEqual(self._ledger_rows(account), rows)
        self.assertEqual(set(self.outbox(uuids).mapped("state")), {"error"})

    def test_mixed_bad_numbers(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        numbers = [NUMBERS[0], "not a number", "", "+3212", NUMBERS[0], NUMBERS[1]]
        answer, __ = self.send(account, numbers)
        states = [result["state"] for result in self.assertResult(answer)]
        self.assertEqual(
            states,
            ["success", "wrong_number_format", "wrong_number_format", "wrong_number_format", "duplicate_message",
             "success"],
        )  # fmt: skip
        results = self.assertResult(answer)
        self.assertEqual([result["credit"] for result in results[1:5]], [0.0] * 4)
        charged = results[0]["credit"] + results[5]["credit"]
        self.assertAlmostEqual(account.credit_balance, 10 - charged)

    def test_no_gateway_unregistered(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        account.sms_gateway_id = False
        answer, _uuids = self.send(account, NUMBERS[:2])
        results = self.assertResult(answer)
        self.assertEqual({result["state"] for result in results}, {"unregistered"})
        self.assertNotIn(account.name, results[0]["failure_reason"])
        self.assertEqual(account.credit_balance, 10)

    def test_client_never_answered_about_another_clients_sms(self):
        account_a = self.make_sms_account(self.customer_a, credits=10)
        account_b = self.make_sms_account(self.customer_b, credits=10)
        __, uuids_a = self.send(account_a, NUMBERS[:1])
        messages = [{"content": "Hi", "numbers": [{"uuid": uuids_a[0], "number": NUMBERS[1]}]}]
        answer = self.call("/api/sms/3/send", messages=messages, account_token=account_b.account_token)
        [result] = self.assertResult(answer)
        self.assertEqual(result["state"], "duplicate_message")
        self.assertEqual(result["credit"], 0.0)
        self.assertEqual(account_b.credit_balance, 10)
        self.assertEqual(self.outbox(uuids_a).account_id, account_a)

    def test_client_sms_hidden_from_this_databases_users(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        __, uuids = self.send(account, NUMBERS[:1], webhook_url="http://client.example/sms/status")
        user = new_test_user(
            self.env, login="server_sms_user", groups="base.group_user,iap_credits.group_iap_credits_user"
        )
        self.assertFalse(self.env["iap.sms.message"].with_user(user).search([("uuid", "in", uuids)]))
        self.assertFalse(self.env["iap.sms.server.report"].with_user(user).has_access("read"))

    def test_open_mode_new_client_sends_with_this_databases_gateway(self):
        self.set_server_mode("open")
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_trial_credits", "5")
        gateway = self.env["iap.sms.gateway"].create({"name": "Own sandbox", "code": "sandbox"})
        self.env["iap.account"].create(
            {"name": "Own SMS", "service_id": self.service_sms.id, "credit_mode": "local", "sms_gateway_id": gateway.id}
        )
        token = uuid4().hex
        answer, uuids = self.send(SimpleNamespace(account_token=token), NUMBERS[:1])
        [result] = self.assertResult(answer)
        account = self.env["iap.account"]._server_find_client_account(token, "sms")
        self.assertEqual(account.sms_gateway_id, gateway)
        self.assertEqual(self.outbox(uuids).gateway_id, gateway)
        self.assertEqual(result["state"], "success")
        self.assertAlmostEqual(account.credit_balance, 5 - result["credit"])  # the trial credits, less the SMS

    def test_server_mode_off_or_unknown_token_refused(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        own = self.env["iap.account"].create(
            {"name": "Own SMS", "service_id": self.service_sms.id, "credit_mode": "local"}
        )
        own._credits_grant(10, "Test grant")
        for token in ("unknown-token", own.account_token):
            data = self.assertRefused(self.send(SimpleNamespace(account_token=token), NUMBERS[:1])[0])
            self.assertEqual(data["name"], "odoo.exceptions.AccessError")
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", "off")
        self.assertRefused(self.send(account, NUMBERS[:1])[0])
        self.assertEqual(account.credit_balance, 10)
        self.assertEqual(own.credit_balance, 10)

    def test_bad_input_of_any_shape(self):
        account = self.make_sms_account(self.customer_a, credits=10)
        token = account.account_token
        good = {"uuid": uuid4().hex, "number": NUMBERS[0]}
        many = [{"uuid": uuid4().hex, "number": NUMBERS[0]} for _i in range(1001)]
        cases = [
            {"messages": "hello"},
            {"messages": []},
            {"messages": [{"content": "x"}]},
            {"messages": [{"content": 12, "numbers": [good]}]},
            {"messages": [{"content": "x" * 4001, "numbers": [good]}]},
            {"messages": [{"content": "x", "numbers": ["+32470123456"]}]},
            {"messages": [{"content": "x", "numbers": [{"uuid": "abc", "number": NUMBERS[0]}]}]},
            {"messages": [{"content": "x", "numbers": [{"uuid": uuid4().hex, "number": 32470123456}]}]},
            {"messages": [{"content": "x", "numbers": [{"uuid": uuid4().hex, "number": "1" * 65}]}]},
            {"messages": [{"content": "x", "numbers": [good]}, {"content": "y", "numbers": [good]}]},
            {"messages": [{"content": "x", "numbers": many}]},
            {"messages": [{"content": "x", "numbers": [good]}], "webhook_url": "ftp://client.example/sms"},
            {"messages": [{"content": "x", "numbers": [good]}], "webhook_url": "javascript:alert(1)"},
            {"messages": [{"content": "x", "numbers": [good]}], "webhook_url": ["http://x"]},
            {"messages": [{"content": "x", "numbers": [good]}], "webhook_url": "http://a b/sms/status"},
            {"messages": [{"content": "x", "numbers": [good]}], "unexpected": 1},
            {"messages": [{"content": "x", "numbers": [good]}], "dbuuid": {"a": 1}},
        ]
        for params in cases:
            with self.subTest(params=json.dumps(params)[:120]):
                self.assertRefused(self.call("/api/sms/3/send", account_token=token, **params))
        for body in ("not json", "[1, 2]", '{"jsonrpc": "2.0", "params": [1]}', '{"jsonrpc": "1.0"}'):
            with self.subTest(body=body):
                self.assertRefused(self.call_raw("/api/sms/3/send", body))
        self.assertRefused(self.call("/api/sms/3/send", messages=[{"content": "x", "numbers": [good]}]))
        self.assertEqual(account.credit_balance, 10)
        self.assertFalse(self.outbox([good["uuid"], *(number["uuid"] for number in many)]))


@tagged("post_install", "-at_install")
class TestServerSmsAccount(ServerSmsCase):
    """The stock registration wizards' routes: a code sent by SMS, typed back, a sender name."""

    def _state(self, route, **params):
        return self.assertResult(self.call(route, **params))["state"]

    def _code(self, api):
        """The code of the last SMS the provider was given."""
        return re.search(r"\d{6}", json.loads(api.requests[-1]["body"])["messages"][0]["body"]).group()

    def test_register_then_sender_name(self):
        api = self.start_sms_api()
        gateway = self.env["iap.sms.gateway"].create(
            {"name": "Test HTTP", "code": "http", "http_url": f"{api.url}/send", "timeout": 1}
        )
        account = self.make_sms_account(self.customer_a, gateway=gateway)
        token = account.account_token
        self.assertEqual(
            self.call("/api/sms/1/account/update_sender", sender_name="Acme", account_token=token)["result"],
            {"state": "unregistered_account"},
        )
        answer = self.call("/api/sms/1/account/create", phone_number="0470 12 34 56", account_token=token)
        self.assertEqual(self.assertResult(answer), {"state": "success"})
        self.assertEqual(account.credit_balance, 0, "the code is free")
        code = self._code(api)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        verify = "/api/sms/2/account/verify"
        self.assertEqual(self.call(verify, code=wrong, account_token=token)["result"], {"state": "invalid_code"})
        self.assertEqual(self.call(verify, code=code, account_token=token)["result"], {"state": "success"})
        self.assertEqual(self.call(verify, code=code, account_token=token)["result"], {"state": "invalid_code"})
        sender = "/api/sms/1/account/update_sender"
        self.assertEqual(self.call(sender, sender_name="A!", account_token=token)["result"], {"state": "format_error"})
        self.assertEqual(self.call(sender, sender_name="Acme", account_token=token)["result"], {"state": "success"})
        self.assertEqual(account.sender_name, "Acme")
        self.assertEqual(
            self.call(sender, sender_name="Other", account_token=token)["result"], {"state": "existing_sender"}
        )

    def test_code_attempts_and_requests_limited(self):
        api = self.start_sms_api()
        gateway = self.env["iap.sms.gateway"].create(
            {"name": "Test HTTP", "code": "http", "http_url": f"{api.url}/send", "timeout": 1}
        )
        token = self.make_sms_account(self.customer_a, gateway=gateway).account_token
        create, verify = "/api/sms/1/account/create", "/api/sms/2/account/verify"
        self.assertEqual(self._state(create, phone_number="12", account_token=token), "invalid_phone_number")
        for _i in range(3):
            self.assertEqual(self._state(create, phone_number=NUMBERS[0], account_token=token), "success")
        self.assertEqual(self._state(create, phone_number=NUMBERS[0], account_token=token), "verification_sms_delivery")
        self.assertEqual(len(api.requests), 3)
        code = self._code(api)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _i in range(5):
            self.assertEqual(self._state(verify, code=wrong, account_token=token), "invalid_code")
        self.assertEqual(self._state(verify, code=code, account_token=token), "too_many_attempts")
        self.assertEqual(
            self._state("/api/sms/1/account/update_sender", sender_name="Acme", account_token=token),
            "unregistered_account",
        )

    def test_account_routes_refuse_bad_input(self):
        account = self.make_sms_account(self.customer_a)
        token = account.account_token
        for route, params in [
            ("/api/sms/1/account/create", {"phone_number": 32470123456}),
            ("/api/sms/1/account/create", {}),
            ("/api/sms/2/account/verify", {"code": ["1"]}),
            ("/api/sms/1/account/update_sender", {"sender_name": "x" * 65}),
            ("/api/sms/1/account/update_sender", {"sender_name": "Acme", "account_token": "unknown"}),
        ]:
            with self.subTest(route=route, params=params):
                self.assertRefused(self.call(route, **{"account_token": token, **params}))
        self.assertFalse(account.sender_name)
