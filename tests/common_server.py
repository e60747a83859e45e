# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the server-mode tests: client accounts, and JSON-RPC calls posted over
real HTTP in the encoding of the stock client (`iap.tools.iap_tools.iap_jsonrpc`)."""

import json
from uuid import uuid4

from odoo.tests.common import HttpCase


def stock_client_decode(response):
    """What the stock ``iap_jsonrpc`` makes of an answer: ``("result", value)`` or
    ``(exception class name, error.data)`` — its decoding, step by step."""
    if "error" in response:
        name = response["error"]["data"].get("name").rpartition(".")[-1]
        return name, response["error"]["data"]
    return "result", response.get("result")


class ServerCase(HttpCase):
    """Server mode on (``closed`` unless a test changes it) and a customer."""

    server_mode = "closed"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", cls.server_mode)
        cls.customer = cls.env["res.partner"].create({"name": "Client Customer", "is_company": True})
        cls.dbuuid = uuid4().hex

    def set_server_mode(self, mode):
        self.env["ir.config_parameter"].sudo().set_param("iap_credits.server_mode", mode)

    def make_client_account(self, service_name, partner=None, credits=0, token=None):
        service = self.env["iap.service"].search([("technical_name", "=", service_name)], limit=1)
        account = self.env["iap.account"].create(
            {
                "name": f"{service_name} of {(partner or self.customer).name}",
                "service_id": service.id,
                "credit_mode": "local",
                "client_partner_id": (partner or self.customer).id,
                "account_token": token or uuid4().hex,
            }
        )
        if credits:
            account._credits_grant(credits, "Test grant")
        return account

    def post(self, route, body, headers=None):
        """POST ``body`` (bytes or a JSON-serializable value) to ``route``; the HTTP response."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.url_open(
            route, data=data, headers={"Content-Type": "application/json", **(headers or {})}, timeout=30
        )

    def call(self, route, **params):
        """POST a JSON-RPC 2.0 call as ``iap_jsonrpc`` does; the decoded answer."""
        response = self.post(route, {"jsonrpc": "2.0", "method": "call", "params": params, "id": uuid4().hex})
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.json()

    def assertStockError(self, response, name=None, message=None):
        """The answer is an error the stock client decodes (as ``name``, when given), without
        a traceback."""
        decoded, data = stock_client_decode(response)
        self.assertNotEqual(decoded, "result", response)
        if name:
            self.assertEqual(decoded, name, response)
        self.assertNotIn("Traceback", json.dumps(response))
        self.assertFalse(data.get("debug"))
        if message:
            self.assertIn(message, data["message"])
        return data
