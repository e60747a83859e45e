# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""A stand-in for Odoo's IAP servers on 127.0.0.1 that records every request it receives.

Every endpoint parameter of the stock IAP clients points at it, so a call to Odoo made
by any stock or local code path lands here instead of on the internet. It answers with
the shapes of Odoo's real servers (JSON-RPC 2.0), so that an Odoo IAP account's calls
succeed as they would in production and a test can check what was sent.
"""

import json
from types import SimpleNamespace
from unittest.mock import patch

from .local_server import LocalServer, QuietHandler

# The ir.config_parameter keys of every stock IAP client of Odoo 19 Community (their
# default is a server of Odoo's): iap (accounts, balance, credits, enrich), sms,
# partner_autocomplete, snailmail, reveal (crm_iap_mine, website_crm_iap_reveal), base_vat
# (VIES through IAP), l10n_in / l10n_in_edi.
IAP_ENDPOINT_PARAMS = (
    "iap.endpoint",
    "sms.endpoint",
    "iap.partner_autocomplete.endpoint",
    "snailmail.endpoint",
    "reveal.endpoint",
    "enrich.endpoint",
    "iap_vies.endpoint",
    "l10n_in.endpoint",
    "l10n_in_edi.endpoint",
)

# The stock clients refuse to call during tests (`iap_jsonrpc`, which every stock IAP client
# uses, and the account information fetch of the account form), which would hide a call from
# any test: these guards are lifted while a test records, so that calls really go out to the
# recorder (partner autocomplete has a guard of its own in front of its `iap_jsonrpc`).
STOCK_TEST_GUARDS = (
    ("odoo.addons.iap.tools.iap_tools.modules", SimpleNamespace(module=SimpleNamespace(current_test=None))),
    ("odoo.addons.iap.models.iap_account.module", SimpleNamespace(current_test=None)),
    (
        "odoo.addons.partner_autocomplete.models.iap_autocomplete_api.modules",
        SimpleNamespace(module=SimpleNamespace(current_test=None)),
    ),
)


class IapRecorder(LocalServer):
    """Records ``{"path", "params"}`` of each request; answers as Odoo's IAP servers do."""

    def __init__(self):
        self.requests = []
        recorder = self

        class Handler(QuietHandler):
            def do_GET(self):
                recorder.requests.append({"path": self.path, "params": {}})
                self._answer(404, json.dumps({"error": "not found"}))

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {}
                params = payload.get("params") or {}
                recorder.requests.append({"path": self.path, "params": params})
                result = recorder._result(self.path.split("?")[0], params)
                if result is NotImplemented:
                    error = {"code": 404, "message": "Not Found", "data": {"name": "werkzeug.exceptions.NotFound"}}
                    return self._answer(200, json.dumps({"jsonrpc": "2.0", "id": payload.get("id"), "error": error}))
                return self._answer(200, json.dumps({"jsonrpc": "2.0", "id": payload.get("id"), "result": result}))

        super().__init__(Handler)

    @staticmethod
    def _result(path, params):
        """The ``result`` Odoo's servers answer on ``path`` (iap, sms); NotImplemented elsewhere."""
        if path == "/iap/1/balance":
            return 42.0
        if path == "/iap/1/get-accounts-information":
            return {
                account["token"]: {"balance": 42.0, "warning_threshold": 0.0, "registered": "registered"}
                for account in params.get("iap_accounts") or ()
            }
        if path == "/iap/1/update-warning-email-alerts":
            return True
        if path == "/api/sms/3/send":
            return [
                {"uuid": number["uuid"], "state": "success", "credit": 1}
                for message in params.get("messages") or ()
                for number in message.get("numbers") or ()
            ]
        if path.startswith("/api/sms/"):  # account registration, verification, sender name
            return {"state": "success"}
        return NotImplemented

    def paths(self):
        return [request["path"] for request in self.requests]


class IapRecorderMixin:
    """For an `HttpCase`: every stock IAP endpoint points at a recorder, and the stock
    clients' test guards are lifted, so that any call to Odoo is recorded.

    The guards are lifted for the whole test: `HttpCase` runs the web requests of a test
    in the test's own transaction (the stock `get` creates a missing account through
    ``registry.cursor()``, which is the test cursor then)."""

    def setUp(self):
        super().setUp()
        self.recorder = IapRecorder().start()
        self.addCleanup(self.recorder.stop)
        for key in IAP_ENDPOINT_PARAMS:
            self.env["ir.config_parameter"].sudo().set_param(key, self.recorder.url)
        for target, replacement in STOCK_TEST_GUARDS:
            patcher = patch(target, replacement)
            patcher.start()
            self.addCleanup(patcher.stop)

    def assertNothingSentToOdoo(self, msg=None):
        """The recorder received no request at all."""
        self.assertEqual(self.recorder.requests, [], msg or "a local account's journey called Odoo's IAP servers")

    def assertOnlyOdooAccountsFetched(self):
        """The recorder received nothing but the stock fetch of Odoo IAP accounts' information.

        Lists of accounts (View My Services) fetch the information of the accounts they show
        that are in Odoo IAP mode, as stock does (`iap.account.web_read`); a request of any
        other kind, or naming an account that is not in Odoo IAP mode, fails.

        :return: the ids of the accounts fetched
        """
        Account = self.env["iap.account"].sudo()
        fetched = Account.browse()
        for request in self.recorder.requests:
            self.assertEqual(request["path"], "/iap/1/get-accounts-information", f"unexpected call: {request}")
            tokens = {account["token"] for account in request["params"]["iap_accounts"]}
            accounts = Account.search([("account_token", "in", list(tokens))])
            self.assertEqual(len(accounts), len(tokens), f"a token of no account was sent: {request}")
            self.assertEqual(set(accounts.mapped("credit_mode")), {"odoo"}, f"a local account was fetched: {request}")
            fetched |= accounts
        return fetched
