# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The service catalog: only services with a local engine use local credits and sell packs."""

import importlib.util
from contextlib import contextmanager
from pathlib import Path

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from .common import IapCreditsCase, JsonRpcMixin

VALIDATION_ERROR = "odoo.exceptions.ValidationError"
MIGRATION = Path(__file__).parent.parent / "migrations" / "19.0.1.1.0" / "post-migrate.py"


class CatalogCase(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Lead Generation: a stock service nothing in this database runs (Odoo IAP only).
        cls.service_reveal = cls.env.ref("iap.iap_service_reveal")
        cls.service_ocr = cls.env.ref("iap_credits.iap_service_invoice_ocr")
        cls.sandbox = cls.env["iap.sms.gateway"].create({"name": "Catalog sandbox", "code": "sandbox"})

    def _reveal_account(self, **values):
        return self.env["iap.account"].create(
            {"name": "Lead Generation", "service_id": self.service_reveal.id, "company_ids": self.company.ids, **values}
        )

    def _pack(self, service, **values):
        return self.env["iap.credit.pack"].create(
            {"name": "Catalog Pack", "service_id": service.id, "credits": 10, "price": 5, **values}
        )

    @contextmanager
    def assertRefused(self, pattern):
        """The block raises a ValidationError matching ``pattern``; what it wrote is rolled back."""
        with self.assertRaisesRegex(ValidationError, pattern), self.env.cr.savepoint():
            yield

    def _make_legacy(self, records, **columns):
        """What a database of 19.0.1.0.0 may hold and the ORM now refuses: set ``columns`` in SQL."""
        self.env.flush_all()
        for column, value in columns.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE id = ANY(%s)",
                    SQL.identifier(records._table),
                    SQL.identifier(column),
                    value,
                    records.ids,
                )
            )
        records.invalidate_recordset()


class TestServiceCatalog(CatalogCase):
    def test_catalog_names_the_local_engines(self):
        catalog = self.env["iap.account"]._get_local_engine_fields()
        self.assertEqual(catalog["sms"], "sms_gateway_id")
        self.assertEqual(catalog["invoice_ocr"], "digitization_gateway")
        self.assertNotIn("reveal", catalog)
        for field_name in catalog.values():
            self.assertIn(field_name, self.env["iap.account"]._fields, "the engine is a field of the account")
        Service = self.env["iap.service"]
        self.assertIn(self.service_sms, Service.search([("has_local_engine", "=", True)]))
        self.assertIn(self.service_reveal, Service.search([("has_local_engine", "=", False)]))
        self.assertNotIn(self.service_reveal, Service.search([("has_local_engine", "=", True)]))
        self.assertEqual((self.service_ocr.has_local_engine, self.service_reveal.has_local_engine), (True, False))

    def test_accounts_of_other_services_start_in_odoo_mode(self):
        """New databases create local accounts; those of a service without engine stay on Odoo IAP."""
        self.env["ir.config_parameter"].set_param("iap_credits.default_credit_mode", "local")
        self.assertEqual(self._reveal_account().credit_mode, "odoo")
        created_by_get = self.env["iap.account"].get("reveal")  # the stock first use of a service
        self.assertEqual(created_by_get.credit_mode, "odoo")
        self.assertFalse(created_by_get.state, "the stock state, fetched from Odoo")
        sms = self.env["iap.account"].create({"service_id": self.service_sms.id})
        self.assertEqual((sms.credit_mode, sms.state), ("local", "registered"))

    def test_local_mode_refused_without_engine(self):
        with self.assertRefused("Lead Generation cannot use local credits"):
            self._reveal_account(credit_mode="local")
        account = self._reveal_account()
        with self.assertRefused("no local engine"):
            account.credit_mode = "local"
        with self.assertRefused("Services with a local engine: .*SMS"):
            self.account.service_id = self.service_reveal  # a local account moved to another service
        self.account.credit_mode = "odoo"
        self.account.service_id = self.service_reveal  # in Odoo IAP mode it may
        self.assertEqual(self.account.engine_display, "Odoo IAP")

    def test_stock_buy_link_for_services_without_engine(self):
        account = self._reveal_account()
        self.assertNotIn("/iap_credits/buy", self.env["iap.account"].get_credits_url("reveal"))
        self.assertIn("/iap/1/credit?", account.action_buy_credits()["url"])

    def test_packs_refused_without_engine(self):
        with self.assertRefused("Credit packs cannot be sold for Lead Generation"):
            self._pack(self.service_reveal)
        pack = self._pack(self.service_ocr)
        with self.assertRefused("no local engine"):
            pack.service_id = self.service_reveal
        pack.write({"active": False, "service_id": self.service_reveal.id})  # archived: kept for history
        with self.assertRefused("Credit packs cannot be sold"):
            pack.active = True
        self.assertNotIn(self.service_reveal, self.env["iap.service"].search(pack._fields["service_id"].domain))

    def test_offered_packs_of_a_legacy_local_account(self):
        """A local account left without an engine (an older version) is offered nothing."""
        account = self._reveal_account()
        pack = self._pack(self.service_ocr)
        self._make_legacy(account, credit_mode="local")
        self._make_legacy(pack, service_id=self.service_reveal.id)
        self.assertFalse(self.env["iap.credit.pack"]._get_offered_packs(account, self.company))

    def test_engine_display(self):
        self.assertEqual(self.account.engine_display, "Local · no engine set")
        self.account.sms_gateway_id = self.sandbox
        self.assertEqual(self.account.engine_display, "Local · Catalog sandbox")
        ocr = self._create_local_account(self.service_ocr, digitization_gateway="tesseract")
        self.assertEqual(ocr.engine_display, "Local · Tesseract (local)")
        self.assertEqual(self._reveal_account().engine_display, "Odoo IAP")
        # Plain users see the gateway's name, as in the list they open.
        self.assertEqual(self.account.with_user(self.user).engine_display, "Local · Catalog sandbox")


class TestCatalogMigration(CatalogCase):
    """The migration to 19.0.1.1.0, run on accounts and packs crafted as 19.0.1.0.0 left them."""

    def _migrate(self):
        spec = importlib.util.spec_from_file_location("iap_credits_migration_19_0_1_1_0", MIGRATION)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()

    def test_migration_switches_accounts_and_stops_their_packs(self):
        legacy = self._reveal_account()
        self._make_legacy(legacy, credit_mode="local", state="registered", balance="200 Credits")
        legacy._credits_grant(200, "Welcome credits (demo)")
        sold, unsold, ocr_pack = (
            self._pack(self.service_sms),
            self._pack(self.service_sms),
            self._pack(self.service_ocr),
        )
        provider = self.env.ref("payment.payment_provider_demo")
        self.env["payment.transaction"].sudo().create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "reference": "CREDITS-MIGRATION",
                "amount": sold.price,
                "currency_id": sold.currency_id.id,
                "partner_id": self.env.user.partner_id.id,
                "operation": "online_direct",
                "iap_credit_account_id": self.account.id,
                "iap_credit_pack_id": sold.id,
                "iap_credits": sold.total_credits,
            }
        )
        self._make_legacy(sold | unsold, service_id=self.service_reveal.id)
        local_sms = self.account

        self._migrate()

        self.assertEqual((legacy.credit_mode, legacy.state, legacy.balance), ("odoo", False, False))
        self.assertCredits(legacy, 200)  # the ledger is never changed
        self.assertIn("now uses Odoo IAP", legacy.message_ids[0].body)
        self.assertIn("local credits (200.00&nbsp;Credits) stay in its ledger", legacy.message_ids[0].body)
        self.assertFalse(sold.active, "a pack a payment refers to is archived")
        self.assertFalse(unsold.exists(), "a pack never bought is deleted")
        self.assertTrue(ocr_pack.active)
        self.assertEqual(local_sms.credit_mode, "local", "accounts of services with an engine are untouched")

        messages = len(legacy.message_ids)
        self._migrate()  # again: nothing left to change
        self.assertEqual(len(legacy.message_ids), messages)
        self.assertTrue(sold.exists())

    def test_migration_of_a_new_install_does_nothing(self):
        legacy = self._reveal_account()
        self._make_legacy(legacy, credit_mode="local")
        spec = importlib.util.spec_from_file_location("iap_credits_migration_19_0_1_1_0", MIGRATION)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, None)  # Odoo runs migrations without version on install
        legacy.invalidate_recordset()
        self.assertEqual(legacy.credit_mode, "local")


@tagged("post_install", "-at_install")
class TestCatalogRpc(JsonRpcMixin, HttpCase):
    """What a credit manager sends over JSON-RPC, and the pack page of such an account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.service_reveal = cls.env.ref("iap.iap_service_reveal")
        cls.service_ocr = cls.env.ref("iap_credits.iap_service_invoice_ocr")
        cls.manager = new_test_user(
            cls.env, login="catalog_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )
        cls.reveal = cls.env["iap.account"].create(
            {"name": "Lead Generation", "service_id": cls.service_reveal.id, "company_ids": cls.company.ids}
        )
        cls.sandbox = cls.env["iap.sms.gateway"].create({"name": "Catalog RPC sandbox", "code": "sandbox"})
        cls.sms = cls.env["iap.account"].create(
            {
                "name": "Catalog SMS",
                "service_id": cls.env.ref("sms.iap_service_sms").id,
                "company_ids": cls.company.ids,
                "credit_mode": "local",
                "sms_gateway_id": cls.sandbox.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.authenticate(self.manager.login, self.manager.login)

    def test_manager_cannot_make_a_local_account_without_engine(self):
        response = self._call("iap.account", "create", [{"service_id": self.service_reveal.id, "credit_mode": "local"}])
        self.assertRpcRefused(response, VALIDATION_ERROR)
        self.assertIn("cannot use local credits", response["error"]["data"]["message"])
        self.assertRpcRefused(
            self._call("iap.account", "write", [self.reveal.ids, {"credit_mode": "local"}]), VALIDATION_ERROR
        )
        created = self.assertRpcDone(self._call("iap.account", "create", [{"service_id": self.service_reveal.id}]))
        self.assertEqual(self.env["iap.account"].browse(created).credit_mode, "odoo")
        self.assertEqual(self.reveal.credit_mode, "odoo")

    def test_manager_cannot_sell_packs_without_engine(self):
        values = {"name": "Leads", "service_id": self.service_reveal.id, "credits": 10, "price": 5}
        self.assertRpcRefused(self._call("iap.credit.pack", "create", [values]), VALIDATION_ERROR)
        pack = self.assertRpcDone(
            self._call("iap.credit.pack", "create", [values | {"service_id": self.service_ocr.id}])
        )
        self.assertRpcRefused(
            self._call("iap.credit.pack", "write", [[pack], {"service_id": self.service_reveal.id}]), VALIDATION_ERROR
        )
        self.assertEqual(self.env["iap.credit.pack"].browse(pack).service_id, self.service_ocr)

    def test_pack_page_refuses_a_service_without_engine(self):
        response = self.url_open(f"/iap_credits/buy/{self.reveal.id}")
        self.assertEqual(response.status_code, 404)
        self.assertIn("uses Odoo IAP", response.text)
        # A local account left by an older version, with a pack of its service.
        self.env.flush_all()
        self.env.cr.execute("UPDATE iap_account SET credit_mode = 'local' WHERE id = %s", [self.reveal.id])
        pack = self.env["iap.credit.pack"].create(
            {"name": "Old Leads", "service_id": self.service_ocr.id, "credits": 10, "price": 5}
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE iap_credit_pack SET service_id = %s WHERE id = %s", [self.service_reveal.id, pack.id]
        )
        self.env.invalidate_all()
        for url in (f"/iap_credits/buy/{self.reveal.id}", f"/iap_credits/buy/{self.reveal.id}/{pack.id}"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 404)
                self.assertIn("has no local engine in this database", response.text)
                self.assertNotIn("Old Leads", response.text)

    def test_view_my_services_shows_where_each_account_runs(self):
        """The list the settings button opens (stock action) has the Runs On column."""
        views = self._call_kw("iap.account", "get_views", [[[False, "list"], [False, "form"]]], {})
        self.assertIn('name="engine_display"', views["views"]["list"]["arch"])
        self.assertIn('name="engine_display"', views["views"]["form"]["arch"])
        rows = self._call_kw(
            "iap.account",
            "web_search_read",
            [],
            {
                "domain": [("id", "in", (self.reveal | self.sms).ids)],
                "specification": {"engine_display": {}, "credit_mode": {}},
            },
        )["records"]
        shown = {row["id"]: row["engine_display"] for row in rows}
        self.assertEqual(shown, {self.reveal.id: "Odoo IAP", self.sms.id: "Local · Catalog RPC sandbox"})
