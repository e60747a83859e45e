# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The request helper of the gateways (`iap.gateway.request.mixin._gateway_request`): the
provider receives the credentials, the log shows the request and the answer with every
secret masked, and failures are the family's translated errors.

The provider is a small HTTP server on 127.0.0.1 that echoes what it received, so that a
secret the client sends comes back in the answer, as real providers' error pages do.
"""

import json
import logging

from odoo.tests import BaseCase, tagged

from ..models.iap_gateway_request_mixin import GatewayRequestError
from ..tools import gateway_errors
from .common import IapCreditsCase
from .common_sms import IapSmsMixin
from .local_server import QuietHandler, serve

AUTH_VALUE = "Bearer very-secret-token-7f3a"
URL_KEY = "url-secret-key-9b2c"
API_KEY = "extraction-api-key-4d5e"
PAYLOAD_KEY = "payload-api-key-c0ffee"
BASIC_PASSWORD = "basic-password-1234"
LOGGER = "odoo.addons.iap_credits"


class EchoProvider(QuietHandler):
    """``/send``: the generic SMS API (every message accepted); ``/extract``: the
    extraction API (an empty success); ``/echo``: the request, in JSON; ``/error``: HTTP
    500 quoting the request's headers; ``/garbage``: HTML. Each request is kept in
    ``requests``."""

    requests = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        received = {"path": self.path, "headers": dict(self.headers), "body": body}
        self.requests.append(received)
        path = self.path.split("?")[0]
        if path == "/send":
            results = [{"id": message["id"], "status": "accepted"} for message in json.loads(body)["messages"]]
            return self._answer(200, json.dumps({"results": results}))
        if path == "/extract":
            return self._answer(200, json.dumps({"status": "unreadable", "error": "Nothing to read"}))
        if path == "/echo":
            return self._answer(200, json.dumps(received))
        if path == "/error":
            return self._answer(500, f"Internal error; request headers: {received['headers']}", "text/plain")
        return self._answer(200, "<html>Service Unavailable</html>", "text/html")


@tagged("post_install", "-at_install")
class TestGatewayRequests(IapSmsMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()

    def setUp(self):
        super().setUp()
        EchoProvider.requests = []
        self.url = serve(self, EchoProvider)
        self.gateway = self._http_gateway(
            self.url, http_url=f"{self.url}/send?key={URL_KEY}", http_auth_value=AUTH_VALUE, timeout=7
        )

    def _logs(self, captured):
        return "\n".join(logging.Formatter("%(message)s").format(record) for record in captured.records)

    def assertNoSecret(self, logs, *secrets):
        for secret in secrets:
            self.assertNotIn(secret, logs)
        self.assertNotIn("key=", logs, "the query string of the URL stays out of the log")

    def test_sms_request_logged_masked(self):
        """The provider gets the credentials and the record's secrets; the log shows the
        request, its timeout and the answer with them masked."""
        callback_token = self.gateway.sudo().http_callback_token
        items = [{"uuid": "sms-1", "number": "+32470123456", "body": f"Your token: {callback_token}"}]
        with self.assertLogs(LOGGER, logging.DEBUG) as captured:
            [outcome] = self.gateway._sms_send(items)
        self.assertTrue(outcome["success"], outcome)
        [received] = EchoProvider.requests
        self.assertEqual(received["headers"]["Authorization"], AUTH_VALUE)
        self.assertEqual(received["path"], f"/send?key={URL_KEY}")
        self.assertIn(callback_token, received["body"])

        logs = self._logs(captured)
        self.assertNoSecret(logs, AUTH_VALUE, "very-secret", URL_KEY, callback_token)
        self.assertIn(f"POST {self.url}/send (timeout 7 s)", logs)
        self.assertIn(f"'Authorization': '****{AUTH_VALUE[-4:]}'", logs)
        self.assertIn(f"Your token: ****{callback_token[-4:]}", logs)
        self.assertIn(f"HTTP 200 from {self.url}/send", logs)
        self.assertIn('"status": "accepted"', logs)

    def test_payload_credentials_masked(self):
        """Keys named like credentials are masked in the request and in its echo, so is the
        password of basic authentication; long values are cut."""
        payload = {
            "api_key": PAYLOAD_KEY,
            "nested": {"Password": "short"},
            "document": "A" * 5000,
        }
        with self.assertLogs(LOGGER, logging.DEBUG) as captured:
            response, answer = self.gateway._gateway_request(
                "POST", f"{self.url}/echo", json=payload, auth=("provider-user", BASIC_PASSWORD)
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(json.loads(answer["body"]), payload, "the provider gets the payload as it is")
        self.assertTrue(answer["headers"]["Authorization"].startswith("Basic "))

        logs = self._logs(captured)
        self.assertNoSecret(logs, PAYLOAD_KEY, "'short'", BASIC_PASSWORD, answer["headers"]["Authorization"])
        self.assertIn(f"'api_key': '****{PAYLOAD_KEY[-4:]}'", logs)
        self.assertIn("'Password': '****'", logs, "a short secret is masked whole")
        self.assertIn(f"auth: 'provider-user':****{BASIC_PASSWORD[-4:]}", logs)
        self.assertIn("<5000 characters>", logs)
        self.assertNotIn("A" * 300, logs)

    def test_http_error_translated_and_masked(self):
        """An HTTP error is the family's reason; its log quotes the answer, which quotes the
        credentials, redacted."""
        self.gateway.http_url = f"{self.url}/error?key={URL_KEY}"
        with self.assertLogs(LOGGER, logging.INFO) as captured, self.assertRaises(GatewayRequestError) as caught:
            self.gateway._http_make_request({"messages": []})
        self.assertEqual(str(caught.exception), "The SMS gateway Test HTTP answered with an error (HTTP 500).")
        self.assertEqual((caught.exception.kind, caught.exception.status), (gateway_errors.HTTP_ERROR, 500))
        logs = self._logs(captured)
        self.assertIn(AUTH_VALUE, EchoProvider.requests[0]["headers"]["Authorization"])
        self.assertNoSecret(logs, AUTH_VALUE, URL_KEY)
        self.assertIn("HTTPError (HTTP 500)", logs)
        self.assertIn("Internal error; request headers:", logs)

    def test_unreadable_answer(self):
        self.gateway.http_url = f"{self.url}/garbage"
        with self.assertLogs(LOGGER, logging.WARNING), self.assertRaises(GatewayRequestError) as caught:
            self.gateway._http_make_request({"messages": []})
        self.assertEqual(str(caught.exception), "The SMS gateway Test HTTP answered something unreadable.")
        self.assertEqual(caught.exception.kind, gateway_errors.UNREADABLE)

    def test_too_large_answer(self):
        with self.assertLogs(LOGGER, logging.WARNING), self.assertRaises(GatewayRequestError) as caught:
            self.gateway._gateway_request("POST", f"{self.url}/echo", json={"text": "x" * 5000}, max_bytes=1000)
        self.assertEqual(str(caught.exception), "The SMS gateway Test HTTP answered something unreadable.")

    def test_extraction_api_logged_masked(self):
        """The extraction API of a digitization account goes through the same helper, with
        its own timeout and its key masked."""
        account = self._create_local_account(
            service=self.env.ref("iap_credits.iap_service_invoice_ocr"),
            digitization_gateway="http",
            digitization_http_url=f"{self.url}/extract?key={URL_KEY}",
            digitization_http_api_key=API_KEY,
        )
        with self.assertLogs(LOGGER, logging.DEBUG) as captured:
            answer = account._http_digitization_request({"document": "B" * 5000, "filename": "bill.pdf"})
        self.assertEqual(answer["status"], "unreadable")
        self.assertEqual(EchoProvider.requests[0]["headers"]["Authorization"], f"Bearer {API_KEY}")
        logs = self._logs(captured)
        self.assertNoSecret(logs, API_KEY, URL_KEY)
        self.assertIn(f"POST {self.url}/extract (timeout 60 s)", logs)
        self.assertIn(f"'Authorization': '****{API_KEY[-4:]}'", logs)
        self.assertIn("'filename': 'bill.pdf'", logs)


class TestMaskTools(BaseCase):
    """The plain-Python masking of `..tools.gateway_errors`."""

    def test_mask(self):
        self.assertEqual(gateway_errors.mask("sk_live_0123456789abcd"), "****abcd")
        self.assertEqual(gateway_errors.mask("short-key"), "****", "too short to show any of it")
        self.assertEqual(gateway_errors.mask(123456789012345), "****2345")

    def test_masked(self):
        value = {
            "Authorization": "Bearer abcdefghijkl",
            "X-Api-Key": "0123456789abcdef",
            "to": "+32470123456",
            "items": [{"access_token": "tok"}, ("a", b"binary")],
            "body": "uses the-family-secret-value inside",
        }
        self.assertEqual(
            gateway_errors.masked(value, secrets=["the-family-secret-value"]),
            {
                "Authorization": "****ijkl",
                "X-Api-Key": "****cdef",
                "to": "+32470123456",
                "items": [{"access_token": "****"}, ("a", "<6 bytes>")],
                "body": "uses ****alue inside",
            },
        )
        self.assertEqual(gateway_errors.masked({"token": None, "password": ""}), {"token": None, "password": ""})

    def test_secret_values(self):
        value = {"headers": {"Authorization": "Bearer x"}, "list": [{"api-key": "k1"}], "to": "+32", "token": 5}
        self.assertEqual(gateway_errors.secret_values(value), ["Bearer x", "k1"])
