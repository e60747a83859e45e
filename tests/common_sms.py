# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the SMS tests: gateways, contacts, and small HTTP servers on 127.0.0.1
that speak Twilio's and the generic HTTP API's shapes, so that the gateways' client
code speaks real HTTP."""

import json
import time
from urllib.parse import parse_qs
from uuid import uuid4

from odoo.tests.common import HttpCase

from .common import JsonRpcMixin, setup_local_sms_account
from .local_server import LocalServer, QuietHandler

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-token"
HTTP_TOKEN = "Bearer generic-test-token"


class FakeSmsApi(LocalServer):
    """A small SMS provider on 127.0.0.1, in one of these modes:

    * ``ok``: accepts every message, except the numbers in ``rejected`` (refused as
      invalid numbers) and ``dropped`` (left out of the answer);
    * ``hang``: answers nothing for ``hang_seconds``;
    * ``error``: answers HTTP 500;
    * ``garbage``: answers 200 with a body that is not JSON;
    * ``malformed``: answers 200 with JSON of another shape.

    ``shape`` is ``twilio`` (one form-encoded POST per message to
    ``/2010-04-01/Accounts/<sid>/Messages.json``) or ``http`` (one JSON POST per batch).
    """

    def __init__(self, shape):
        self.shape = shape
        self.mode = "ok"
        self.rejected = set()
        self.dropped = set()
        self.hang_seconds = 3
        self.requests = []
        self.on_request = None  # called with the request's body before answering
        api = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                api.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if api.on_request:
                    api.on_request(body)
                if api.mode == "hang":
                    time.sleep(api.hang_seconds)
                    return self._answer(200, "{}")
                if api.mode == "error":
                    return self._answer(500, '{"message": "Internal Server Error", "status": 500}')
                if api.mode == "garbage":
                    return self._answer(200, "<html>Service Unavailable</html>", "text/html")
                if api.mode == "malformed":
                    return self._answer(200, '{"unexpected": true}')
                if api.shape == "twilio":
                    return self._twilio(body)
                return self._http(body)

            def _twilio(self, body):
                form = {key: values[0] for key, values in parse_qs(body).items()}
                if form.get("To") in api.rejected:
                    return self._answer(
                        400,
                        json.dumps(
                            {
                                "code": 21211,
                                "message": f"The 'To' number {form['To']} is not a valid phone number.",
                                "more_info": "https://www.twilio.com/docs/errors/21211",
                                "status": 400,
                            }
                        ),
                    )
                message = {
                    "sid": "SM" + uuid4().hex,
                    "account_sid": TWILIO_SID,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "num_segments": "1",
                }
                return self._answer(201, json.dumps(message))

            def _http(self, body):
                results = []
                for message in json.loads(body)["messages"]:
                    if message["to"] in api.dropped:
                        continue
                    if message["to"] in api.rejected:
                        results.append({"id": message["id"], "status": "invalid_number", "error": "unknown number"})
                    else:
                        results.append({"id": message["id"], "status": "accepted", "provider_id": uuid4().hex})
                return self._answer(200, json.dumps({"results": results}))

        super().__init__(Handler)


class IapSmsMixin:
    """SMS fixtures on top of a test class that has ``cls.account`` (a local SMS account)."""

    @classmethod
    def _setup_sms(cls):
        cls.service_sms.credit_unit_price = 1.0
        cls.service_sms.sms_rate_ids.unlink()
        cls.sandbox = cls.env["iap.sms.gateway"].create({"name": "Test sandbox", "code": "sandbox"})
        cls.account.sms_gateway_id = cls.sandbox
        cls.env.company.country_id = cls.env.ref("base.be")
        cls.partner = cls.env["res.partner"].create(
            {"name": "Alice SMS", "phone": "0470 12 34 56", "country_id": cls.env.ref("base.be").id}
        )

    def _start_api(self, shape):
        api = FakeSmsApi(shape).start()
        self.addCleanup(api.stop)
        return api

    def _twilio_gateway(self, url, **values):
        return self.env["iap.sms.gateway"].create(
            {
                "name": "Test Twilio",
                "code": "twilio",
                "twilio_account_sid": TWILIO_SID,
                "twilio_auth_token": TWILIO_TOKEN,
                "twilio_from_number": "+32460000000",
                "twilio_api_url": url,
                "timeout": 1,
                **values,
            }
        )

    def _http_gateway(self, url, **values):
        return self.env["iap.sms.gateway"].create(
            {
                "name": "Test HTTP",
                "code": "http",
                "http_url": f"{url}/send",
                "http_auth_header": "Authorization",
                "http_auth_value": HTTP_TOKEN,
                "timeout": 1,
                **values,
            }
        )

    def _create_sms(self, numbers, body="Hello", partner=None):
        """Queue stock SMS (as every stock sending path does) and return them."""
        return (
            self.env["sms.sms"]
            .sudo()
            .create(
                [{"number": number, "body": body, "partner_id": partner.id if partner else False} for number in numbers]
            )
        )

    def _history(self, sms):
        return self.env["iap.sms.message"].search([("uuid", "in", sms.mapped("uuid"))])


class IapSmsHttpCase(IapSmsMixin, JsonRpcMixin, HttpCase):
    """A local SMS account with the sandbox gateway, for tests that need the HTTP server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_local_sms_account(cls)
        cls._setup_sms()

    def _send_from_contact_over_rpc(self, user, body="Hello"):
        """``user`` sends ``body`` from the contact's form composer, over JSON-RPC as the web client does."""
        self.authenticate(user.login, user.login)
        context = {
            "default_res_model": "res.partner",
            "default_res_id": self.partner.id,
            "default_number_field_name": "phone",
            "default_composition_mode": "comment",
        }
        composer_id = self._call_kw("sms.composer", "create", [{"body": body}], {"context": context})
        self._call_kw("sms.composer", "action_send_sms", [[composer_id]], {"context": context})

    def _send_from_contact(self, body="Hello"):
        """Send an SMS from the contact form's composer, as a user does."""
        composer = (
            self.env["sms.composer"]
            .with_context(
                default_res_model="res.partner",
                default_res_id=self.partner.id,
                default_number_field_name="phone",
                default_composition_mode="comment",
            )
            .create({"body": body})
        )
        composer.action_send_sms()
        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)], limit=1)
        notification = self.partner.message_ids.filtered(lambda m: m.message_type == "sms")[:1].notification_ids
        return message, notification
