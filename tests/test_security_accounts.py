# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may decide which account a service pays with, and where work and secrets are sent.

Each user acts over JSON-RPC (`/web/dataset/call_kw`), as the web client does.
"""

from types import SimpleNamespace
from unittest.mock import patch

from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .common import IapCreditsCase, JsonRpcMixin, setup_local_sms_account
from .common_sms import IapSmsHttpCase, IapSmsMixin


@tagged("post_install", "-at_install")
class TestAccountRouting(JsonRpcMixin, HttpCase):
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


@tagged("post_install", "-at_install")
class TestGatewayDestinations(JsonRpcMixin, HttpCase):
    """Only administrators decide where work and secrets are sent; credit managers manage credits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env, login="destination_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )
        cls.ocr_account = cls.env["iap.account"].create(
            {
                "name": "Test digitization",
                "service_id": cls.env.ref("iap_credits.iap_service_invoice_ocr").id,
                "company_ids": [(6, 0, cls.company.ids)],
                "credit_mode": "local",
                "digitization_gateway": "http",
                "digitization_http_url": "https://ocr.example.com/extract",
                "digitization_http_api_key": "ocr-secret",
            }
        )
        cls.tesseract_account = cls.env["iap.account"].create(
            {
                "name": "Test digitization (Tesseract)",
                "service_id": cls.env.ref("iap_credits.iap_service_invoice_ocr").id,
                "company_ids": [(6, 0, cls.company.ids)],
                "credit_mode": "local",
                "digitization_gateway": "tesseract",
            }
        )
        cls.http_gateway = cls.env["iap.sms.gateway"].create(
            {
                "name": "Test HTTP",
                "code": "http",
                "http_url": "https://sms.example.com/send",
                "http_auth_value": "Bearer sms-secret",
            }
        )
        cls.twilio_gateway = cls.env["iap.sms.gateway"].create(
            {
                "name": "Test Twilio",
                "code": "twilio",
                "twilio_account_sid": "AC" + "1" * 32,
                "twilio_auth_token": "twilio-secret",
                "twilio_from_number": "+32460000000",
            }
        )
        cls.destinations = cls._destinations()

    @classmethod
    def _destinations(cls):
        return (
            cls.ocr_account.read(["digitization_gateway", "digitization_http_url", "digitization_http_api_key"])
            + cls.tesseract_account.read(["digitization_gateway"])
            + cls.http_gateway.read(["code", "http_url", "http_auth_header", "http_auth_value"])
            + cls.twilio_gateway.read(["code", "twilio_account_sid", "twilio_api_url", "twilio_from_number"])
        )

    def _attacks(self):
        """Writes that would send documents, SMS or secrets to an attacker's server."""
        evil = "https://attacker.example.net/collect"
        return [
            ("iap.account", self.ocr_account, {"digitization_http_url": evil}),
            ("iap.account", self.tesseract_account, {"digitization_gateway": "http"}),
            ("iap.sms.gateway", self.http_gateway, {"http_url": evil}),
            ("iap.sms.gateway", self.http_gateway, {"code": "twilio"}),
            ("iap.sms.gateway", self.twilio_gateway, {"twilio_account_sid": "AC" + "6" * 32}),
            ("iap.sms.gateway", self.twilio_gateway, {"twilio_api_url": evil}),
            ("iap.sms.gateway", self.twilio_gateway, {"code": "http"}),
        ]

    def test_manager_cannot_redirect_work_or_secrets(self):
        self.authenticate("destination_manager", "destination_manager")
        for model, record, values in self._attacks():
            with self.subTest(model=model, values=values):
                self.assertRpcRefused(self._call(model, "write", [record.ids, values]))
        # Nor a new gateway of a provider of their choice.
        self.assertRpcRefused(self._call("iap.sms.gateway", "create", [{"name": "Mine", "code": "http"}]))
        self.env.invalidate_all()
        self.assertEqual(self._destinations(), self.destinations)

    def test_manager_still_manages_gateways_and_accounts(self):
        self.authenticate("destination_manager", "destination_manager")
        created = self.assertRpcDone(self._call("iap.sms.gateway", "create", [{"name": "Manager sandbox"}]))
        self.assertRpcDone(self._call("iap.sms.gateway", "write", [[created, self.twilio_gateway.id], {"timeout": 5}]))
        self.assertRpcDone(self._call("iap.account", "write", [self.ocr_account.ids, {"digitization_auto": True}]))
        self.assertRpcDone(self._call("iap.account", "write", [self.ocr_account.ids, {"name": "Renamed"}]))
        # Writing the provider a gateway already has is no change.
        self.assertRpcDone(self._call("iap.sms.gateway", "write", [self.twilio_gateway.ids, {"code": "twilio"}]))

    def test_manager_opens_the_forms(self):
        """The forms open for a manager, without the administrator's fields."""
        self.authenticate("destination_manager", "destination_manager")
        for model, record, hidden in (
            ("iap.account", self.ocr_account, "digitization_http_url"),
            ("iap.sms.gateway", self.twilio_gateway, "twilio_account_sid"),
            ("iap.sms.gateway", self.http_gateway, "http_url"),
        ):
            with self.subTest(model=model, record=record.name):
                views = self.assertRpcDone(self._call(model, "get_views", [[[False, "form"]]]))
                form = views["views"]["form"]
                self.assertNotIn(hidden, form["arch"])
                fields = views["models"][model]["fields"]
                self.assertNotIn(hidden, fields)
                spec = {name: {} for name in fields if fields[name]["type"] not in ("one2many", "many2many")}
                values = self.assertRpcDone(self._call(model, "web_read", [record.ids], {"specification": spec}))
                self.assertEqual(values[0]["id"], record.id)

    def test_admin_redirects(self):
        self.authenticate("admin", "admin")
        for model, record, values in self._attacks():
            with self.subTest(model=model, values=values):
                self.assertRpcDone(self._call(model, "write", [record.ids, values]))
        self.env.invalidate_all()
        self.assertEqual(self.ocr_account.digitization_http_url, "https://attacker.example.net/collect")
        self.assertEqual(self.tesseract_account.digitization_gateway, "http")
        self.assertEqual((self.http_gateway.code, self.twilio_gateway.code), ("twilio", "http"))
        views = self.assertRpcDone(self._call("iap.account", "get_views", [[[False, "form"]]]))
        self.assertIn("digitization_http_url", views["views"]["form"]["arch"])


class TestNeutralizedCopy(IapSmsMixin, IapCreditsCase):
    """A neutralized copy sends nothing outside: its SMS stay in the outbox, its documents here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms()
        cls.account._credits_grant(10, "Welcome")

    def test_neutralized_copy_sends_nothing_outside(self):
        twilio_api, http_api = self._start_api("twilio"), self._start_api("http")
        twilio = self._twilio_gateway(twilio_api.url)
        http = self._http_gateway(http_api.url)
        self.account.sms_gateway_id = twilio
        ocr_account = self._create_local_account(
            self.env.ref("iap_credits.iap_service_invoice_ocr"),
            digitization_gateway="http",
            digitization_http_url=f"{http_api.url}/extract",
            digitization_http_api_key="ocr-secret",
        )
        # The production database sends through its gateways.
        self._create_sms(["+32470000001"]).send()
        self.assertEqual(len(twilio_api.requests), 1)
        self.assertCredits(self.account, 9)

        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()

        gateways = self.env["iap.sms.gateway"].with_context(active_test=False).search([])
        self.assertLessEqual(twilio | http, gateways)
        self.assertEqual(set(gateways.mapped("code")), {"sandbox"})
        for field in (
            "http_url",
            "http_auth_value",
            "http_callback_token",
            "twilio_account_sid",
            "twilio_auth_token",
            "twilio_api_url",
        ):
            self.assertFalse(any(gateways.mapped(field)), field)
        accounts = self.env["iap.account"].search([])
        self.assertEqual(set(accounts.mapped("digitization_gateway")), {"tesseract"})
        self.assertFalse(any(accounts.mapped("digitization_http_url")))
        self.assertFalse(any(accounts.mapped("digitization_http_api_key")))
        self.assertEqual(ocr_account.digitization_gateway, "tesseract")

        # An SMS sent now stays in the outbox, charged as by the sandbox; nothing reaches the providers.
        sms = self._create_sms(["+32470000002"], body="After neutralization")
        sms.send()
        message = self._history(sms)
        self.assertEqual(message.gateway_id, twilio)
        self.assertEqual(message.state, "sent")
        self.assertTrue(message.provider_ref.startswith("sandbox-"), message.provider_ref)
        self.assertEqual((len(twilio_api.requests), len(http_api.requests)), (1, 0))
        self.assertCredits(self.account, 8)


@tagged("post_install", "-at_install")
class TestNeutralizedCopyOverRpc(IapSmsHttpCase):
    """On a neutralized copy, a user's SMS sent from a contact (over JSON-RPC, as the web
    client does) stays in the outbox, even through a gateway that was Twilio."""

    def test_user_sms_after_neutralization_sends_nothing(self):
        twilio_api = self._start_api("twilio")
        self.account.sms_gateway_id = self._twilio_gateway(twilio_api.url)
        self.account._credits_grant(5, "Welcome")
        user = new_test_user(self.env, login="neutral_sms_user", groups="base.group_user,base.group_partner_manager")
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()

        self._send_from_contact_over_rpc(user, body="From the copy")

        message = self.env["iap.sms.message"].search([("partner_id", "=", self.partner.id)], limit=1)
        self.assertEqual(message.state, "sent")
        self.assertTrue(message.provider_ref.startswith("sandbox-"), message.provider_ref)
        self.assertEqual(twilio_api.requests, [], "nothing reached the provider")
        self.account.invalidate_recordset()
        self.assertEqual(self.account.credit_balance, 4, "charged as by the sandbox")
