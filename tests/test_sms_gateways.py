# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Each gateway against a small HTTP server on 127.0.0.1, and each way it can fail."""

import json
import time
from urllib.parse import parse_qs

from .common import IapCreditsCase
from .common_sms import HTTP_TOKEN, TWILIO_SID, TWILIO_TOKEN, IapSmsMixin
from .local_server import closed_port_url

NUMBERS = ["+32470000001", "+32470000002", "+32470000003"]


class GatewayFailureMixin:
    """The failure modes shared by both gateways; subclasses set ``shape`` and ``_gateway``."""

    def _assert_all_failed(self, sms, reason_part=None):
        self.assertEqual(sms.mapped("state"), ["error"] * len(sms))
        self.assertEqual(set(sms.mapped("failure_type")), {"sms_server"})
        self.assertCredits(self.account, 10)
        kinds = self.account.transaction_ids.sorted("id").mapped("kind")
        self.assertEqual(kinds, ["grant", "reservation", "release"], "held, then released: nothing charged")
        history = self._history(sms)
        self.assertEqual(set(history.mapped("state")), {"error"})
        self.assertEqual(sum(history.mapped("credits")), 0)
        if reason_part:
            self.assertIn(reason_part, history[0].failure_reason)
        # Never lost: the SMS stay, failed, and can be sent again.
        self.assertEqual(len(sms.exists()), len(sms))

    def test_timeout(self):
        # Odoo's test framework raises any timeout below 10 s to 10 s: the server hangs longer.
        self.api.mode = "hang"
        self.api.hang_seconds = 12
        sms = self._create_sms(NUMBERS[:2])
        start = time.monotonic()
        sms.send()
        self.assertLess(time.monotonic() - start, 11.5, "the client gave up before the server answered, once")
        self._assert_all_failed(sms)
        self.assertIn("did not answer in time", self._history(sms)[0].failure_reason)

    def test_connection_refused(self):
        self.account.sms_gateway_id = self._gateway(closed_port_url())
        sms = self._create_sms(NUMBERS[:2])
        sms.send()
        self._assert_all_failed(sms)

    def test_server_error(self):
        self.api.mode = "error"
        sms = self._create_sms(NUMBERS[:2])
        sms.send()
        self._assert_all_failed(sms, "500")

    def test_garbage(self):
        self.api.mode = "garbage"
        sms = self._create_sms(NUMBERS[:2])
        sms.send()
        self._assert_all_failed(sms)

    def test_resend_after_failure(self):
        self.api.mode = "error"
        sms = self._create_sms(NUMBERS[:1])
        sms.send()
        self._assert_all_failed(sms)
        self.api.mode = "ok"
        sms.resend_failed()
        self.assertEqual(sms.state, "pending")
        self.assertCredits(self.account, 9)


class TestTwilioGateway(GatewayFailureMixin, IapSmsMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()

    def setUp(self):
        super().setUp()
        self.api = self._start_api("twilio")
        self.account.sms_gateway_id = self._gateway(self.api.url)
        self.account._credits_grant(10, "Welcome")

    def _gateway(self, url):
        return self._twilio_gateway(url)

    def test_send(self):
        sms = self._create_sms(NUMBERS[:2], body="Hello from Twilio")
        sms.send()
        self.assertEqual(sms.mapped("state"), ["pending", "pending"])
        self.assertCredits(self.account, 8)
        self.assertEqual(len(self.api.requests), 2)
        request = self.api.requests[0]
        self.assertEqual(request["path"], f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
        self.assertTrue(request["headers"]["Authorization"].startswith("Basic "))
        form = {key: values[0] for key, values in parse_qs(request["body"]).items()}
        self.assertEqual(form["To"], NUMBERS[0])
        self.assertEqual(form["From"], "+32460000000")
        self.assertEqual(form["Body"], "Hello from Twilio")
        self.assertIn(
            f"/iap_credits/sms/twilio/status/{self.account.sms_gateway_id.id}/{sms[0].uuid}", form["StatusCallback"]
        )
        history = self._history(sms)
        self.assertTrue(all(ref.startswith("SM") for ref in history.mapped("provider_ref")))

    def test_stock_batches(self):
        """Twilio batches have the stock size (``sms.session.batch.size``) like every gateway:
        no lock is held while Twilio answers, so nothing calls for smaller ones."""
        self.account._credits_grant(10, "More")
        sms = self._create_sms([f"+324700000{i:02d}" for i in range(12)])
        sms.send()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        holds = self.account.transaction_ids.filtered(lambda t: t.kind == "reservation")
        self.assertEqual(holds.mapped("reserved_change"), [12], "one batch, one hold")

        self.env["ir.config_parameter"].set_param("sms.session.batch.size", 5)
        sms = self._create_sms([f"+324700001{i:02d}" for i in range(6)])
        sms.send()
        holds = self.account.transaction_ids.filtered(lambda t: t.kind == "reservation") - holds
        self.assertEqual(sorted(holds.mapped("reserved_change")), [1, 5], "the stock parameter is honoured")
        self.assertCredits(self.account, 20 - 12 - 6)

    def test_refused_number_not_charged(self):
        self.api.rejected = {NUMBERS[1]}
        sms = self._create_sms(NUMBERS)
        sms.send()
        self.assertEqual(sms.mapped("failure_type"), [False, "sms_number_format", False])
        self.assertCredits(self.account, 8)
        self.assertIn("21211", self._history(sms[1]).failure_reason)

    def test_malformed_answer(self):
        self.api.mode = "malformed"
        sms = self._create_sms(NUMBERS[:2])
        sms.send()
        self._assert_all_failed(sms)

    def test_check_signature(self):
        from twilio.request_validator import RequestValidator

        gateway = self.account.sms_gateway_id
        url = "https://example.com/iap_credits/sms/twilio/status/1/abc"
        params = {"MessageStatus": "delivered", "MessageSid": "SM1"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        self.assertTrue(gateway._twilio_check_signature(url, params, signature))
        self.assertFalse(gateway._twilio_check_signature(url, params, "forged"))
        self.assertFalse(gateway._twilio_check_signature(url, {**params, "MessageStatus": "failed"}, signature))


class TestHttpGateway(GatewayFailureMixin, IapSmsMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()

    def setUp(self):
        super().setUp()
        self.api = self._start_api("http")
        self.account.sms_gateway_id = self._gateway(self.api.url)
        self.account._credits_grant(10, "Welcome")

    def _gateway(self, url):
        return self._http_gateway(url)

    def test_send(self):
        sms = self._create_sms(NUMBERS, body="Hello from HTTP")
        sms.send()
        self.assertEqual(sms.mapped("state"), ["pending"] * 3)
        self.assertCredits(self.account, 7)
        self.assertEqual(len(self.api.requests), 1, "one request per batch")
        request = self.api.requests[0]
        self.assertEqual(request["headers"]["Authorization"], HTTP_TOKEN)
        payload = json.loads(request["body"])
        self.assertEqual(
            payload["messages"],
            [{"id": s.uuid, "to": n, "body": "Hello from HTTP"} for s, n in zip(sms, NUMBERS, strict=True)],
        )
        self.assertIn(f"/iap_credits/sms/http/status/{self.account.sms_gateway_id.id}", payload["status_url"])
        self.assertTrue(all(self._history(sms).mapped("provider_ref")))

    def test_per_message_results(self):
        self.api.rejected = {NUMBERS[0]}
        self.api.dropped = {NUMBERS[2]}
        sms = self._create_sms(NUMBERS)
        sms.send()
        self.assertEqual(sms.mapped("state"), ["error", "pending", "error"])
        self.assertEqual(sms.mapped("failure_type"), ["sms_number_format", False, "sms_server"])
        self.assertCredits(self.account, 9)

    def test_malformed_answer(self):
        self.api.mode = "malformed"
        sms = self._create_sms(NUMBERS[:2])
        sms.send()
        self._assert_all_failed(sms, "malformed")

    def test_batch_of_500_mixed_outcomes_exact_ledger(self):
        """500 SMS: invalid numbers, duplicates, numbers the provider refuses, answers
        missing, and bodies of 1, 2 and 3 segments: only what was sent is charged."""
        self.account._credits_grant(2000, "Campaign budget")
        self.env["iap.sms.rate"].create({"service_id": self.service_sms.id, "prefix": "+33", "credit_price": 2.0})
        bodies = ["Short", "a" * 200, "ж" * 140]  # 1, 2 and 3 segments
        vals, expected = [], 0.0
        seen = set()
        for i in range(500):
            body = bodies[i % 3]
            if i % 50 == 7:
                number = "12345"  # invalid
            elif i % 50 == 9:
                number = vals[i - 3]["number"]  # same number and body as 3 SMS before: a duplicate
            else:
                number = ("+33612%06d" if i % 4 == 0 else "+32470%06d") % i
            vals.append({"number": number, "body": body})
            if number == "12345" or (number, body) in seen:
                continue
            seen.add((number, body))
            if i % 25 == 3:
                self.api.rejected.add(number)
                continue
            if i % 100 == 11:
                self.api.dropped.add(number)
                continue
            rate = 2.0 if number.startswith("+33") else 1.0
            expected += (i % 3 + 1) * rate
        sms = self.env["sms.sms"].sudo().create(vals)
        sms.send()
        self.assertCredits(self.account, 2010 - expected)
        history = self._history(sms)
        self.assertEqual(len(history), 500)
        self.assertAlmostEqual(sum(history.mapped("credits")), expected, places=4)
        self.assertEqual(len(sms.filtered(lambda s: s.failure_type == "sms_number_format")), 10 + 20)
        self.assertEqual(len(sms.filtered(lambda s: s.failure_type == "sms_duplicate")), 10)
        self.assertEqual(len(sms.filtered(lambda s: s.failure_type == "sms_server")), 5)
        capture = self.account.transaction_ids.filtered(lambda t: t.kind == "capture")
        self.assertAlmostEqual(-capture.credits, expected, places=4)
