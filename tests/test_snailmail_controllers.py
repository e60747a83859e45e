# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Status reports of the snail mail providers over real HTTP: PostGrid's signed webhook and
the generic API's token; a stranger gets one uniform refusal and changes nothing."""

import hashlib
import hmac
import json
import time

from odoo.tests import tagged
from odoo.tests.common import HttpCase

from .common import IapCreditsCase
from .common_snailmail import POSTGRID_WEBHOOK_SECRET, SnailmailMixin, setup_snailmail


def postgrid_signature(body, secret=POSTGRID_WEBHOOK_SECRET, timestamp=None):
    """The PostGrid-Signature header PostGrid sends: t=<unix ms>,v1=<hex HMAC-SHA256 of "t.body">."""
    stamp = str(int(time.time() * 1000) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@tagged("post_install", "-at_install")
class TestSnailmailStatusReports(SnailmailMixin, HttpCase):
    assertCredits = IapCreditsCase.assertCredits
    assertLedgerConsistent = IapCreditsCase.assertLedgerConsistent

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_snailmail(cls)

    def setUp(self):
        super().setUp()
        self.api = self._start_api("postgrid")
        self.account.snailmail_gateway_id = self.gateway = self._postgrid_gateway(self.api.url)
        self.account._credits_grant(10, "Welcome")
        self.letter = self._letter()
        self.letter._snailmail_print()
        self.post = self._posts(self.letter)
        self.assertEqual((self.letter.state, self.post.state), ("sent", "accepted"))

    def _event(self, status, letter_id=None, reason=None, event_type="letter.updated"):
        data = {**self.api.letters[self.post.provider_ref], "status": status}
        if letter_id:
            data["id"] = letter_id
        if reason:
            data["cancellation"] = {"reason": reason}
        event = {"id": "event_abc", "object": "event", "type": event_type, "live": False, "data": data}
        return json.dumps(event, separators=(",", ":")).encode()

    def _webhook(self, body, signature=None, gateway=None):
        headers = {"Content-Type": "application/json"}
        if signature is not False:
            headers["PostGrid-Signature"] = postgrid_signature(body) if signature is None else signature
        return self.url_open(
            f"/iap_credits/snailmail/postgrid/webhook/{(gateway or self.gateway).id}", data=body, headers=headers
        )

    def test_signed_webhook_moves_the_letter(self):
        response = self._webhook(self._event("printing"))
        self.assertEqual((response.status_code, response.json()), (200, {"updated": 1}))
        self.assertEqual((self.post.provider_status, self.letter.state), ("printing", "sent"))

        response = self._webhook(self._event("cancelled", reason="user_initiated"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual((self.post.state, self.letter.state), ("cancelled", "canceled"))
        self.assertCredits(self.account, 10)

    def test_late_webhooks_never_move_the_letter_back(self):
        self._webhook(self._event("completed"))
        for body in (self._event("printing"), self._event("cancelled", reason="invalid_content")):
            response = self._webhook(body)
            self.assertEqual(response.status_code, 200)
        self.assertEqual((self.post.state, self.post.provider_status), ("accepted", "completed"))
        self.assertEqual((self.letter.state, self.letter.error_code), ("sent", False))
        self.assertCredits(self.account, 9)  # a letter mailed is never given back

    def test_other_events_are_answered(self):
        response = self._webhook(self._event("ready", event_type="postcard.updated"))
        self.assertEqual((response.status_code, response.json()), (200, {"ignored": "postcard.updated"}))
        self.assertEqual(self.post.provider_status, "ready")

    def test_strangers_get_one_refusal(self):
        body = self._event("cancelled", reason="invalid_content")
        other = self._http_gateway("http://127.0.0.1:9")
        attempts = {
            "no signature": self._webhook(body, signature=False),
            "empty signature": self._webhook(body, signature=""),
            "wrong secret": self._webhook(body, signature=postgrid_signature(body, secret="x" * 30)),
            "another body signed": self._webhook(body, signature=postgrid_signature(self._event("printing"))),
            "stale": self._webhook(
                body, signature=postgrid_signature(body, timestamp=int(time.time() * 1000) - 3600_000)
            ),
            "garbage header": self._webhook(body, signature="t=abc,v1=\u00e9\u00e9"),
            "two timestamps": self._webhook(body, signature=postgrid_signature(body) + ",t=1"),
            "unknown gateway": self.url_open(
                "/iap_credits/snailmail/postgrid/webhook/999999",
                data=body,
                headers={"PostGrid-Signature": postgrid_signature(body)},
            ),
            "another provider's gateway": self._webhook(body, gateway=other),
        }
        answers = {name: (response.status_code, response.text) for name, response in attempts.items()}
        self.assertEqual(set(answers.values()), {(403, '{"error": "forbidden"}')}, answers)
        self.assertEqual((self.post.state, self.letter.state), ("accepted", "sent"), "nothing changed")
        self.assertCredits(self.account, 9)

    def test_gateway_without_secret_refuses_everything(self):
        self.gateway.postgrid_webhook_secret = False
        body = self._event("cancelled")
        response = self._webhook(body, signature=postgrid_signature(body, secret=""))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.post.state, "accepted")

    def test_authentic_but_malformed(self):
        for body in (b"not json", b"[]", b'{"type": "letter.updated", "data": {"id": "x", "status": "printing"}}',
                     b'{"type": "letter.updated", "data": {"id": "letter_abc", "status": "lost"}}'):  # fmt: skip
            response = self._webhook(body)
            self.assertEqual(response.status_code, 400, body)
        self.assertEqual(self.post.provider_status, "ready")

    def test_only_method_post(self):
        response = self.url_open(f"/iap_credits/snailmail/postgrid/webhook/{self.gateway.id}")
        self.assertEqual(response.status_code, 405)

    # ------------------------------------------------------------
    # Generic HTTP provider
    # ------------------------------------------------------------

    def _http_setup(self):
        api = self._start_api("http")
        self.account.snailmail_gateway_id = gateway = self._http_gateway(api.url)
        letter = self._letter()
        letter._snailmail_print()
        return gateway, letter, self._posts(letter)

    def _http_report(self, gateway, payload, token=None):
        return self.url_open(
            f"/iap_credits/snailmail/http/status/{gateway.id}",
            data=payload if isinstance(payload, (str, bytes)) else json.dumps(payload),
            headers={
                "Content-Type": "application/json",
                "X-IAP-Credits-Token": gateway.http_callback_token if token is None else token,
            },
        )

    def test_http_status_reports(self):
        gateway, letter, post = self._http_setup()
        self.assertEqual((letter.state, post.state), ("sent", "accepted"))
        response = self._http_report(gateway, {"id": post.provider_ref, "status": "delivered"})
        self.assertEqual((response.status_code, response.json()), (200, {"updated": 1}))
        self.assertEqual(post.provider_status, "delivered")

    def test_http_failure_report_gives_credits_back(self):
        gateway, letter, post = self._http_setup()
        self.assertCredits(self.account, 8)
        response = self._http_report(gateway, {"id": post.provider_ref, "status": "failed", "error": "wet envelope"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual((post.state, letter.state, letter.error_code), ("cancelled", "error", "UNKNOWN_ERROR"))
        self.assertIn("wet envelope", letter.info_msg)
        self.assertCredits(self.account, 9)

    def test_http_strangers_get_one_refusal(self):
        gateway, letter, post = self._http_setup()
        report = {"id": post.provider_ref, "status": "failed"}
        answers = {
            (response.status_code, response.text)
            for response in (
                self._http_report(gateway, report, token=""),
                self._http_report(gateway, report, token="wrong"),
                self._http_report(gateway, report, token="\u00e9t\u00e9"),
                self._http_report(self.gateway, report, token=gateway.http_callback_token),  # PostGrid's gateway
                self.url_open("/iap_credits/snailmail/http/status/999999", data=json.dumps(report)),
            )
        }
        self.assertEqual(answers, {(403, '{"error": "forbidden"}')})
        self.assertEqual((post.state, letter.state), ("accepted", "sent"))
        for payload in (
            "nope",
            {"status": "failed"},
            {"id": "bad id!", "status": "failed"},
            {"id": "x", "status": "?"},
        ):
            self.assertEqual(self._http_report(gateway, payload).status_code, 400, payload)
        self.assertEqual(post.state, "accepted")
