# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may decide which account a service pays with.

Each user acts over JSON-RPC (`/web/dataset/call_kw`), as the web client does.
"""

import json
from types import SimpleNamespace
from unittest.mock import patch

from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .common import setup_local_sms_account

ACCESS_ERROR = "odoo.exceptions.AccessError"


class RpcMixin:
    def _call(self, model, method, args, kwargs=None):
        """Call ``model.method`` over JSON-RPC as the authenticated user; return the JSON answer."""
        return self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()

    def assertRpcRefused(self, response, error=ACCESS_ERROR):
        self.assertIn("error", response, f"the call succeeded: {response.get('result')!r}")
        self.assertEqual(response["error"]["data"]["name"], error, response["error"]["data"].get("message"))

    def assertRpcDone(self, response):
        self.assertNotIn("error", response, response.get("error", {}).get("data", {}).get("message"))
        return response["result"]


@tagged("post_install", "-at_install")
class TestAccountRouting(RpcMixin, HttpCase):
    """A plain internal user never changes the account a service pays with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An older account of the company, in Odoo IAP mode, without credits: copied, its copy
        # would be the newest account of the service and company, the one `get` returns.
        cls.old_account = cls.env["iap.account"].create(
            {
                "name": "Old SMS account",
                "service_id": cls.env.ref("sms.iap_service_sms").id,
                "company_ids": [(6, 0, cls.env.company.ids)],
                "credit_mode": "odoo",
            }
        )
        setup_local_sms_account(cls)
        cls.account._credits_grant(10, "Company credits")
        cls.sandbox = cls.env["iap.sms.gateway"].create({"name": "Company sandbox"})
        cls.account.sms_gateway_id = cls.sandbox
        cls.other_gateway = cls.env["iap.sms.gateway"].create({"name": "Another sandbox"})
        cls.user = new_test_user(cls.env, login="routing_user", groups="base.group_user")
        cls.manager = new_test_user(
            cls.env, login="routing_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )

    def setUp(self):
        super().setUp()
        self.sms_accounts = self.env["iap.account"].search([("service_name", "=", "sms")])

    def assertServiceUnchanged(self):
        """The company's SMS are still paid with the same account, and no account was added."""
        self.env.invalidate_all()
        self.assertEqual(self.env["iap.account"].with_user(self.user).get("sms"), self.account)
        self.assertEqual(self.env["iap.account"].search([("service_name", "=", "sms")]), self.sms_accounts)
        self.assertEqual(
            (self.account.service_id, self.account.company_ids, self.account.credit_mode, self.account.sms_gateway_id),
            (self.service_sms, self.company, "local", self.sandbox),
        )
        self.assertCredits(10)

    def assertCredits(self, credits):
        self.assertEqual(self.account.credit_balance, credits)

    def test_user_cannot_create_account(self):
        self.authenticate("routing_user", "routing_user")
        response = self._call(
            "iap.account",
            "create",
            [
                {
                    "name": "SMS",
                    "service_id": self.service_sms.id,
                    "company_ids": [[6, 0, self.company.ids]],
                    "credit_mode": "odoo",
                }
            ],
        )
        self.assertRpcRefused(response)
        self.assertServiceUnchanged()

    def test_user_cannot_copy_account(self):
        self.authenticate("routing_user", "routing_user")
        for account in (self.old_account, self.account):
            with self.subTest(account=account.name):
                self.assertRpcRefused(self._call("iap.account", "copy", [account.ids]))
        self.assertServiceUnchanged()

    def test_user_cannot_rescope_account(self):
        self.authenticate("routing_user", "routing_user")
        other_service = self.env.ref("iap_credits.iap_service_invoice_ocr")
        for values in (
            {"service_id": other_service.id},
            {"company_ids": [[5, 0, 0]]},
            {"credit_mode": "odoo"},
            {"sms_gateway_id": self.other_gateway.id},
        ):
            with self.subTest(values=values):
                self.assertRpcRefused(self._call("iap.account", "write", [[self.account.id], values]))
        self.assertServiceUnchanged()

    def test_user_cannot_delete_account(self):
        self.authenticate("routing_user", "routing_user")
        self.assertRpcRefused(self._call("iap.account", "unlink", [[self.account.id]]))
        self.assertServiceUnchanged()

    def test_manager_creates_and_rescopes_accounts(self):
        self.authenticate("routing_manager", "routing_manager")
        created = self.assertRpcDone(
            self._call(
                "iap.account",
                "create",
                [{"service_id": self.service_sms.id, "company_ids": [[6, 0, self.company.ids]], "credit_mode": "odoo"}],
            )
        )
        self.assertEqual(self.env["iap.account"].with_user(self.user).get("sms").id, created)
        self.assertRpcDone(self._call("iap.account", "write", [[created], {"credit_mode": "local"}]))
        copied = self.assertRpcDone(self._call("iap.account", "copy", [[created]]))
        self.assertEqual(self.env["iap.account"].browse(copied).service_id, self.service_sms)

    def _create_service(self, technical_name):
        return self.env["iap.service"].create(
            {
                "name": technical_name,
                "technical_name": technical_name,
                "description": "A service without account yet",
                "unit_name": "units",
                "integer_balance": False,
            }
        )

    def test_first_use_of_a_service_creates_its_account(self):
        """The stock `get` creates the missing account of a service when a plain user first uses it."""
        service = self._create_service("iap_credits_first_use")
        self.authenticate("routing_user", "routing_user")
        created = self.assertRpcDone(self._call("iap.account", "get", ["iap_credits_first_use"]))
        self.assertEqual(self.env["iap.account"].browse(created).service_id, service)
        # Outside tests, the stock `get` creates the account through a cursor of its own as
        # the current user, not in sudo: that path too.
        service = self._create_service("iap_credits_first_use_2")
        with patch("odoo.addons.iap.models.iap_account.module", SimpleNamespace(current_test=False)):
            account = self.env["iap.account"].with_user(self.user).get("iap_credits_first_use_2")
        self.env.invalidate_all()
        self.assertEqual(account.env.uid, self.user.id)
        self.assertEqual(account.sudo().service_id, service)
        self.assertTrue(account.sudo().account_token)
