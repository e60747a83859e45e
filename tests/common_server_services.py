# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the server-mode service tests (on top of `common_server.ServerCase`, server
mode closed): client accounts of their own customers, raw JSON-RPC calls over real HTTP, and
the stock client code of this very database pointed at its own server routes.

The stock client code refuses to reach the network while a test runs (`iap_jsonrpc`
and `_contact_iap` check ``odoo.modules.module.current_test``): :meth:`stock_client`
hides that flag from those two stock modules only, so that the stock code builds its
parameters and posts them over HTTP exactly as a client database does.
"""

import contextlib
import uuid
from types import SimpleNamespace
from unittest.mock import patch

from odoo import Command

from odoo.addons.iap.tools import iap_tools
from odoo.addons.partner_autocomplete.models import iap_autocomplete_api as stock_autocomplete_api

from .common import IapCreditsCase

INSUFFICIENT_CREDIT = "odoo.addons.iap.tools.iap_tools.InsufficientCreditError"
ACCESS_ERROR = "odoo.exceptions.AccessError"
SERVER_ERROR = "odoo.addons.iap.tools.iap_tools.IAPServerError"


class ServerServicesMixin:
    assertCredits = IapCreditsCase.assertCredits
    assertLedgerConsistent = IapCreditsCase.assertLedgerConsistent

    @classmethod
    def _client_account(cls, service, name, engines=None, **values):
        """A client account of a new customer ``name``, local, no credits."""
        partner = cls.env["res.partner"].create({"name": name, "is_company": True})
        return cls.env["iap.account"].create(
            {
                "name": f"{name} {service.technical_name}",
                "service_id": service.id,
                "credit_mode": "local",
                "account_token": uuid.uuid4().hex,
                "client_partner_id": partner.id,
                **values,
            }
        )

    @classmethod
    def _own_stock_account(cls, service, token):
        """This database's own account of ``service`` in Odoo IAP mode, holding a client's
        ``token``: the stock client code sends it as a client database would."""
        return cls.env["iap.account"].create(
            {
                "name": "Own stock account",
                "service_id": service.id,
                "company_ids": [Command.set(cls.env.company.ids)],
                "credit_mode": "odoo",
                "account_token": token,
            }
        )

    @contextlib.contextmanager
    def stock_client(self):
        """Let the stock client code reach this test's HTTP server."""
        shim = SimpleNamespace(module=SimpleNamespace(current_test=None))
        self.env.flush_all()
        # The stock code posts with `requests` itself, without the test's cookie: allow it,
        # as the test's own opener does for its requests.
        with (
            patch.object(iap_tools, "modules", shim),
            patch.object(stock_autocomplete_api, "modules", shim),
            self.allow_requests(all_requests=True),
        ):
            yield
        self.env.invalidate_all()

    def rpc(self, route, params, raw=None):
        """POST a JSON-RPC call (or the ``raw`` body) to ``route``; return the decoded answer."""
        body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": uuid.uuid4().hex}
        if raw is None:
            response = self.url_open(route, json=body, timeout=60)
        else:
            response = self.url_open(route, data=raw, headers={"Content-Type": "application/json"}, timeout=60)
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response.json()

    def assertRefused(self, answer, name=SERVER_ERROR):
        self.assertIn("error", answer, f"the call succeeded: {answer.get('result')!r}")
        data = answer["error"]["data"]
        self.assertEqual(data["name"], name, data.get("message"))
        self.assertNotIn("debug", data)
        return data
