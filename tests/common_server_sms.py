# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the server-mode SMS tests: client accounts of customers, and JSON-RPC calls
posted over real HTTP as the stock client (`sms.tools.sms_api.SmsApi`) posts them."""

import json
from uuid import uuid4

from .common_server import ServerCase
from .common_sms import FakeSmsApi
from .local_server import LocalServer, QuietHandler


class WebhookServer(LocalServer):
    """A client database's `/sms/status` on 127.0.0.1: records the JSON-RPC bodies it is
    sent and answers ``status`` (200: the stock ``{"result": "OK"}``), or ``error_answer``."""

    def __init__(self):
        self.calls = []
        self.status = 200
        self.error_answer = None
        hook = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.calls.append({"path": self.path, "body": json.loads(body)})
                if hook.status != 200:
                    return self._answer(hook.status, "<html>Internal Server Error</html>", "text/html")
                answer = {"jsonrpc": "2.0", "id": None}
                if hook.error_answer:
                    answer["error"] = hook.error_answer
                else:
                    answer["result"] = "OK"
                return self._answer(200, json.dumps(answer))

        super().__init__(Handler)

    def reported(self):
        """``{uuid: sms_status}`` of every report received."""
        return {
            uuid: status["sms_status"]
            for call in self.calls
            for status in call["body"]["params"]["message_statuses"]
            for uuid in status["uuids"]
        }


class ServerSmsCase(ServerCase):
    """Server mode on (closed), a sandbox gateway, and customers with client SMS accounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_sms = cls.env.ref("sms.iap_service_sms")
        cls.service_sms.credit_unit_price = 1.0
        cls.service_sms.sms_rate_ids.unlink()
        cls.sandbox = cls.env["iap.sms.gateway"].create({"name": "Server sandbox", "code": "sandbox"})
        cls.belgium = cls.env.ref("base.be")
        cls.customer_a = cls.env["res.partner"].create({"name": "Customer A", "country_id": cls.belgium.id})
        cls.customer_b = cls.env["res.partner"].create({"name": "Customer B", "country_id": cls.belgium.id})

    def make_sms_account(self, partner, credits=0, gateway=None):
        """A client SMS account of ``partner`` (`ServerCase.make_client_account`) with a gateway."""
        account = self.make_client_account("sms", partner=partner, credits=credits)
        account.sms_gateway_id = gateway or self.sandbox
        return account

    def call_raw(self, route, body):
        response = self.post(route, body.encode())
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json()

    def send(self, account, numbers, content="Hello from the client", webhook_url=False):
        """Send SMS as the stock client does: ``(answer, uuids)``."""
        uuids = [uuid4().hex for _number in numbers]
        messages = [
            {"content": content, "numbers": [{"uuid": u, "number": n} for u, n in zip(uuids, numbers, strict=True)]}
        ]
        answer = self.call(
            "/api/sms/3/send",
            messages=messages,
            webhook_url=webhook_url,
            dbuuid=str(uuid4()),
            account_token=account.account_token,
        )
        return answer, uuids

    def assertResult(self, answer):
        self.assertNotIn("error", answer, answer.get("error", {}).get("data", {}).get("message"))
        return answer["result"]

    def assertRefused(self, answer):
        data = self.assertStockError(answer)
        self.assertTrue(data["message"])
        return data

    def outbox(self, uuids):
        return self.env["iap.sms.message"].sudo().search([("uuid", "in", uuids)])

    def start(self, server):
        server.start()
        self.addCleanup(server.stop)
        return server

    def start_sms_api(self):
        return self.start(FakeSmsApi("http"))
