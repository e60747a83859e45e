# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may use, route and configure partner autocomplete, tried over JSON-RPC as the
web client (or a script) calls it: a plain internal user, a credit manager, a portal
user, a user of another company, and a stranger without a session."""

from odoo.tests import HttpCase, new_test_user, tagged

from ..tools import company_data
from .common import JsonRpcMixin
from .common_autocomplete import AutocompleteMixin


@tagged("post_install", "-at_install")
class TestPartnerAutocompleteSecurity(AutocompleteMixin, JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_autocomplete()
        cls.user = new_test_user(cls.env, login="ac_user", groups="base.group_user", company_id=cls.company.id)
        cls.manager = new_test_user(
            cls.env, login="ac_manager", groups="base.group_user,iap_credits.group_iap_credits_manager"
        )
        cls.portal = new_test_user(cls.env, login="ac_portal", groups="base.group_portal")
        cls.company_b = cls.env["res.company"].create({"name": "Autocomplete Security B"})
        cls.user_b = new_test_user(
            cls.env,
            login="ac_user_b",
            groups="base.group_user",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.sandbox_b = cls.env["iap.autocomplete.engine"].create(
            {"name": "Sandbox B", "code": "sandbox", "company_id": cls.company_b.id}
        )
        cls.account_b = cls.env["iap.account"].create(
            {
                "name": "Autocomplete B",
                "service_id": cls.service.id,
                "company_ids": [(6, 0, cls.company_b.ids)],
                "credit_mode": "local",
                "autocomplete_engine_ids": [(6, 0, cls.sandbox_b.ids)],
            }
        )
        cls.vies = cls.env["iap.autocomplete.engine"].create(
            {"name": "VIES", "code": "vies", "vies_url": "http://127.0.0.1:9/vies"}
        )

    def setUp(self):
        super().setUp()
        self.ac_account._credits_grant(10, "Welcome")
        self.account_b._credits_grant(10, "Welcome B")

    def _balances(self):
        (self.ac_account | self.account_b).invalidate_recordset()
        return self.ac_account.credit_balance, self.account_b.credit_balance

    def _search_as(self, user, query="quillfeather"):
        self.authenticate(user.login, user.login)
        return self._call("res.partner", "autocomplete_by_name", [query, False])

    # ------------------------------------------------------------
    # A plain internal user uses the service...
    # ------------------------------------------------------------

    def test_internal_user_autocompletes(self):
        suggestions = self.assertRpcDone(self._search_as(self.user))
        self.assertEqual([s["name"] for s in suggestions], [self.entry.name])
        data = self._call_kw("res.partner", "enrich_by_duns", [suggestions[0]["duns"]])
        self.assertEqual(data["city"], "Fresno")
        self.assertEqual(self._balances(), (9, 10))

    # ------------------------------------------------------------
    # ... but neither routes nor configures it
    # ------------------------------------------------------------

    def test_internal_user_cannot_route_nor_configure(self):
        self.authenticate(self.user.login, self.user.login)
        self.assertRpcRefused(
            self._call(
                "iap.account", "write", [[self.ac_account.id], {"autocomplete_engine_ids": [(6, 0, [self.vies.id])]}]
            )
        )
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "create", [{"name": "Mine", "code": "sandbox"}]))
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "write", [[self.sandbox.id], {"timeout": 60}]))
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "read", [[self.vies.id], ["vies_url"]]))
        self.assertRpcRefused(
            self._call("iap.autocomplete.directory", "write", [[self.entry.id], {"street": "Somewhere else"}])
        )
        self.assertRpcRefused(self._call("iap.autocomplete.directory", "create", [{"name": "Fake Co"}]))
        self.assertEqual(self.ac_account.autocomplete_engine_ids, self.sandbox)

    def test_private_methods_are_not_callable(self):
        self.authenticate(self.user.login, self.user.login)
        reference = company_data.make_reference(self.sandbox.id, self.entry.id)
        for model, method, args in (
            ("iap.autocomplete.api", "_request_partner_autocomplete", ["enrich_by_duns", {"duns": reference}]),
            ("iap.autocomplete.api", "_local_enrich_by_duns", [self.ac_account.id, {"duns": reference}, 15]),
            ("iap.autocomplete.engine", "_autocomplete_enrich", [[self.sandbox.id], str(self.entry.id), 15]),
            ("iap.account", "_credits_grant", [[self.ac_account.id], 100, "free"]),
        ):
            with self.subTest(method=method):
                self.assertRpcRefused(self._call(model, method, args))
        self.assertEqual(self._balances(), (10, 10))

    def test_manager_chooses_engines_not_providers(self):
        self.authenticate(self.manager.login, self.manager.login)
        self.assertRpcDone(
            self._call(
                "iap.account", "write", [[self.ac_account.id], {"autocomplete_engine_ids": [(6, 0, [self.vies.id])]}]
            )
        )
        self.assertRpcDone(self._call("iap.autocomplete.engine", "create", [{"name": "Sandbox 2", "code": "sandbox"}]))
        # The provider and its URL decide what leaves the database: administrators only.
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "create", [{"name": "GLEIF", "code": "gleif"}]))
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "write", [[self.sandbox.id], {"code": "website"}]))
        self.assertRpcRefused(
            self._call(
                "iap.autocomplete.engine", "write", [[self.vies.id], {"vies_url": "https://collector.example.com"}]
            )
        )
        self.assertRpcRefused(self._call("iap.autocomplete.engine", "read", [[self.vies.id], ["vies_url"]]))
        self.assertEqual(self.sandbox.code, "sandbox")
        self.assertEqual(self.vies.vies_url, "http://127.0.0.1:9/vies")

    # ------------------------------------------------------------
    # Outsiders
    # ------------------------------------------------------------

    def test_portal_user_is_refused(self):
        self.assertRpcRefused(self._search_as(self.portal))
        reference = company_data.make_reference(self.sandbox.id, self.entry.id)
        self.assertRpcRefused(self._call("res.partner", "enrich_by_duns", [reference]))
        self.assertRpcRefused(self._call("res.partner", "enrich_by_domain", ["quillfeather-stationers.com"]))
        self.assertEqual(self._balances(), (10, 10), "nobody's credits were spent")

    def test_stranger_without_a_session(self):
        reference = company_data.make_reference(self.sandbox.id, self.entry.id)
        for method, args in (("autocomplete_by_name", ["quillfeather", False]), ("enrich_by_duns", [reference])):
            with self.subTest(method=method):
                self.assertRpcRefused(self._call("res.partner", method, args), "odoo.http.SessionExpiredException")
        self.assertEqual(self._balances(), (10, 10))

    def test_user_of_another_company(self):
        # Company B's account answers company B's users, with company B's engines and credits.
        suggestions = self.assertRpcDone(self._search_as(self.user_b))
        self.assertEqual(company_data.parse_reference(suggestions[0]["duns"])[0], self.sandbox_b.id)
        # A reference to company A's engine, sent by B's user: refused, nobody charged.
        reference = company_data.make_reference(self.sandbox.id, self.entry.id)
        data = self._call_kw("res.partner", "enrich_by_duns", [reference])
        self.assertIn("no longer available", data["error_message"])
        self.assertEqual(self._balances(), (10, 10))
        data = self._call_kw("res.partner", "enrich_by_duns", [suggestions[0]["duns"]])
        self.assertEqual(data["city"], "Fresno")
        self.assertEqual(self._balances(), (10, 9), "company B paid for its user")
