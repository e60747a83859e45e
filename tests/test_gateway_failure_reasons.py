# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What a user reads when a gateway fails: a clear reason, never the gateway's URL, key or
account id (a `requests` exception quotes the URL called, query string included).

A user sends an SMS from the contact's composer and digitizes a bill over JSON-RPC, as the
web client does; the gateways are small HTTP servers on 127.0.0.1 that hang, refuse
connections, answer HTTP 500 or something unreadable.
"""

import logging

import requests

from odoo.tests import BaseCase, new_test_user, tagged

from ..tools import gateway_errors
from . import digitization_corpus as corpus
from .common_sms import TWILIO_SID, TWILIO_TOKEN, FakeSmsApi, IapSmsHttpCase
from .local_server import closed_port_url

SECRET = "s3cr3t-key-in-the-url"
HTTP_KEY = "Bearer s3cr3t-bearer"


@tagged("post_install", "-at_install")
class TestGatewayFailureReasons(IapSmsHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_user = new_test_user(
            cls.env, login="sms_failure_user", groups="base.group_user,base.group_partner_manager"
        )
        cls.bill_user = new_test_user(
            cls.env, login="bill_failure_user", groups="base.group_user,account.group_account_invoice"
        )

    def setUp(self):
        super().setUp()
        self.account._credits_grant(10, "Welcome")

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _send_sms_as_user(self):
        """The user sends "Hello" from Alice's contact form; returns what the user then reads:
        the SMS outbox row and the chatter notification of the SMS."""
        self._send_from_contact_over_rpc(self.sms_user)
        [message] = self._call_kw(
            "iap.sms.message",
            "search_read",
            [[("partner_id", "=", self.partner.id)], ["state", "failure_reason"]],
            {"limit": 1},
        )
        [notification] = self._call_kw(
            "mail.notification",
            "search_read",
            [
                [
                    ("mail_message_id.model", "=", "res.partner"),
                    ("mail_message_id.res_id", "=", self.partner.id),
                    ("notification_type", "=", "sms"),
                ],
                ["notification_status", "failure_type", "failure_reason"],
            ],
            {"limit": 1, "order": "id desc"},
        )
        return message, notification

    def _assert_clear(self, texts, reason, logs, secrets, addresses):
        """``texts`` (what users read) contain ``reason`` and neither ``secrets`` nor the
        gateway's ``addresses``; ``logs`` may name the address, never a secret."""
        for text in texts:
            self.assertIn(reason, text)
            for hidden in [*secrets, *addresses]:
                self.assertNotIn(hidden, text)
        for line in logs:
            for secret in secrets:
                self.assertNotIn(secret, line)

    def _logs(self, captured):
        formatter = logging.Formatter("%(message)s")
        return [formatter.format(record) for record in captured.records]

    def _sms_failure(self, gateway, reason, secrets):
        """Send as the user through ``gateway``, which fails; ``secrets``: (secrets, addresses)."""
        self.account.sms_gateway_id = gateway
        with self.assertLogs("odoo.addons.iap_credits", logging.INFO) as captured:
            message, notification = self._send_sms_as_user()
        self.assertEqual(message["state"], "error")
        self.assertEqual(
            (notification["notification_status"], notification["failure_type"]), ("exception", "sms_server")
        )
        for text in (message["failure_reason"], notification["failure_reason"]):
            self.assertEqual(text, reason)
        self._assert_clear(
            [message["failure_reason"], notification["failure_reason"]], reason, self._logs(captured), *secrets
        )
        self.account.invalidate_recordset()
        self.assertEqual((self.account.credit_balance, self.account.credit_reserved), (10, 0), "nothing charged")

    # ------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------

    def test_http_sms_gateway_failures(self):
        api = self._start_api("http")
        for mode, reason in (
            ("refused", "The SMS gateway Test HTTP could not be reached."),
            ("error", "The SMS gateway Test HTTP answered with an error (HTTP 500)."),
            ("garbage", "The SMS gateway Test HTTP answered something unreadable."),
            # Odoo's test framework raises any timeout below 10 s to 10 s: the server hangs longer.
            ("hang", "The SMS gateway Test HTTP did not answer in time (timeout: 1 s)."),
        ):
            with self.subTest(mode=mode):
                api.mode, api.hang_seconds = mode, 12
                url = closed_port_url() if mode == "refused" else api.url
                gateway = self._http_gateway(url, http_url=f"{url}/send?key={SECRET}", http_auth_value=HTTP_KEY)
                self._sms_failure(gateway, reason, ([SECRET, "key=", HTTP_KEY], [f"{url}/send", "127.0.0.1"]))

    def test_twilio_sms_gateway_failures(self):
        api = self._start_api("twilio")
        for mode, reason in (
            ("refused", "The SMS gateway Test Twilio could not be reached."),
            ("error", "The SMS gateway Test Twilio answered with an error (HTTP 500)."),
            ("garbage", "The SMS gateway Test Twilio answered something unreadable."),
            ("hang", "The SMS gateway Test Twilio did not answer in time (timeout: 1 s)."),
        ):
            with self.subTest(mode=mode):
                api.mode, api.hang_seconds = mode, 12
                gateway = self._twilio_gateway(closed_port_url() if mode == "refused" else api.url)
                self._sms_failure(
                    gateway, reason, ([TWILIO_SID, TWILIO_TOKEN], ["/Accounts/", "/Messages", "127.0.0.1"])
                )

    # ------------------------------------------------------------
    # DIGITIZATION
    # ------------------------------------------------------------

    def test_http_digitization_failures(self):
        """The bill's failure reason and its chatter say what happened, without the URL or its key."""
        api = FakeSmsApi("http").start()  # answers any POST: 500 or garbage, as asked
        self.addCleanup(api.stop)
        ocr_account = self.env["iap.credit.dispatch"]._get_account("invoice_ocr", self.company)
        pdf = corpus.render_pdf(corpus.BILLS[0])
        for mode, reason in (
            ("refused", "The extraction API could not be reached."),
            ("error", "The extraction API answered with an error (HTTP 500)."),
            ("garbage", "The extraction API answered something unreadable."),
        ):
            with self.subTest(mode=mode):
                api.mode = mode
                url = closed_port_url() if mode == "refused" else api.url
                ocr_account.write(
                    {
                        "credit_mode": "local",
                        "digitization_gateway": "http",
                        "digitization_http_url": f"{url}/extract?key={SECRET}",
                        "digitization_http_api_key": "s3cr3t-api-key",
                    }
                )
                ocr_account._credits_grant(1, "Test credits")
                move = self.env["account.move"].create({"move_type": "in_invoice"})
                move.message_main_attachment_id = self.env["ir.attachment"].create(
                    {"name": "bill.pdf", "raw": pdf, "res_model": "account.move", "res_id": move.id}
                )
                self.authenticate(self.bill_user.login, self.bill_user.login)
                self._call_kw("account.move", "action_digitize", [move.ids])
                with self.assertLogs("odoo.addons.iap_credits", logging.INFO) as captured:
                    self.env["account.move"]._digitize_queued()  # the scheduled job
                [bill] = self._call_kw("account.move", "read", [move.ids, ["digitization_state", "digitization_error"]])
                bodies = [
                    message["body"]
                    for message in self._call_kw(
                        "mail.message",
                        "search_read",
                        [[("model", "=", "account.move"), ("res_id", "=", move.id)], ["body"]],
                    )
                ]
                self.assertEqual(bill["digitization_state"], "failed")
                chatter = [body for body in bodies if "failed" in body]
                self.assertTrue(chatter, bodies)
                self._assert_clear(
                    [bill["digitization_error"], *chatter],
                    reason,
                    self._logs(captured),
                    [SECRET, "key=", "s3cr3t-api-key"],
                    [f"{url}/extract", "127.0.0.1"],
                )


class TestGatewayErrorsTools(BaseCase):
    """The plain-Python helpers that keep secrets out of logs."""

    def test_safe_url(self):
        safe = gateway_errors.safe_url
        self.assertEqual(
            safe("https://user:pw@sms.example.com:8443/send?key=K#frag"), "https://sms.example.com:8443/send"
        )
        self.assertEqual(safe("http://127.0.0.1/send"), "http://127.0.0.1/send")
        self.assertEqual(safe("http://host:notaport/x"), gateway_errors.REDACTED)

    def test_real_request_errors_are_redacted(self):
        url = f"{closed_port_url()}/send?key={SECRET}&user=me"
        with self.assertRaises(requests.exceptions.ConnectionError) as caught:
            requests.post(url, json={}, timeout=5)
        error = caught.exception
        self.assertIn(SECRET, str(error), "requests quotes the query string")
        self.assertEqual(gateway_errors.request_error_kind(error), gateway_errors.UNREACHABLE)
        details = gateway_errors.log_details(error, url, secrets=["me"])
        self.assertNotIn(SECRET, details)
        self.assertIn("ConnectionError", details)
        self.assertIn("/send", details)

    def test_redact(self):
        text = (
            f"500 Server Error for url: https://a:b@api.example.com/x?key={SECRET} and "
            f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json with Bearer tok"
        )
        redacted = gateway_errors.redact(text, secrets=["Bearer tok"])
        for hidden in (SECRET, "a:b@", TWILIO_SID, "Bearer tok"):
            self.assertNotIn(hidden, redacted)
        self.assertIn("https://api.example.com/x", redacted)

    def test_kinds(self):
        kind = gateway_errors.request_error_kind
        self.assertEqual(kind(requests.exceptions.ReadTimeout()), gateway_errors.TIMEOUT)
        self.assertEqual(kind(requests.exceptions.ConnectTimeout()), gateway_errors.TIMEOUT)
        self.assertEqual(kind(requests.exceptions.HTTPError()), gateway_errors.HTTP_ERROR)
        self.assertEqual(kind(requests.exceptions.JSONDecodeError("x", "doc", 0)), gateway_errors.UNREADABLE)
        self.assertEqual(kind(ValueError("not JSON")), gateway_errors.UNREADABLE)
        self.assertEqual(kind(requests.exceptions.ConnectionError()), gateway_errors.UNREACHABLE)
