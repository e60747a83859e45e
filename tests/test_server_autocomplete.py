# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode, partner autocomplete: the stock client code of a database (here this one,
pointed at its own routes) searches and enriches companies through `/api/dnb/1/*` over
real HTTP, answered by this database's engines and charged on the client's account."""

from odoo.tests import tagged

from .common_server import ServerCase
from .common_server_services import ACCESS_ERROR, ServerServicesMixin

STOCK_PARAMS = {"db_uuid": "client-db", "db_version": "19.0", "db_lang": "en_US", "country_code": "US", "zip": "93721"}


@tagged("post_install", "-at_install")
class TestServerAutocomplete(ServerServicesMixin, ServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.env.ref("partner_autocomplete.iap_service_partner_autocomplete")
        cls.service.credit_unit_price = 1.0
        cls.sandbox = cls.env["iap.autocomplete.engine"].create({"name": "Server sandbox", "code": "sandbox"})
        engines = {"autocomplete_engine_ids": [(6, 0, cls.sandbox.ids)]}
        cls.client = cls._client_account(cls.service, "Client One", **engines)
        cls.other = cls._client_account(cls.service, "Client Two", **engines)
        cls.own = cls._own_stock_account(cls.service, cls.client.account_token)
        cls.env["ir.config_parameter"].set_param("iap.partner_autocomplete.endpoint", cls.base_url())
        cls.env["iap.autocomplete.directory"].create(
            {
                "name": "Quillfeather Stationers Inc.",
                "vat": "US12-3456789",
                "street": "77 Ink Lane",
                "zip": "93721",
                "city": "Fresno",
                "country_id": cls.env.ref("base.us").id,
                "website": "https://www.quillfeather-stationers.com",
            }
        )

    def _search(self, query):
        with self.stock_client():
            return self.env["res.partner"].autocomplete_by_name(query, 0)

    def _enrich(self, duns):
        with self.stock_client():
            return self.env["res.partner"].enrich_by_duns(duns)

    def _duns(self):
        suggestions = self._search("Quillfeather")
        self.assertEqual([suggestion["name"] for suggestion in suggestions], ["Quillfeather Stationers Inc."])
        return suggestions[0]["duns"]

    def test_search_and_enrich_charged_on_the_client(self):
        self.client._credits_grant(5, "Welcome")
        self.other._credits_grant(5, "Welcome")
        duns = self._duns()
        self.assertCredits(self.client, 5)  # searches are free
        company = self._enrich(duns)
        self.assertNotIn("error", company, company.get("error_message"))
        self.assertEqual(company["name"], "Quillfeather Stationers Inc.")
        self.assertEqual(company["city"], "Fresno")
        self.assertEqual(company["country_id"]["id"], self.env.ref("base.us").id)  # stock formatted the codes
        self.assertCredits(self.client, 4)
        self.assertCredits(self.other, 5)
        self.assertLedgerConsistent(self.client)
        self.assertEqual(self.own.transaction_ids.mapped("kind"), [])

    def test_enrich_by_domain(self):
        self.client._credits_grant(1, "Welcome")
        with self.stock_client():
            company = self.env["res.partner"].enrich_by_domain("quillfeather-stationers.com")
        self.assertEqual(company.get("name"), "Quillfeather Stationers Inc.", company)
        self.assertCredits(self.client, 0)

    def test_empty_account_credit_error_nothing_charged(self):
        company = self._enrich(self._duns())
        self.assertEqual(company, {"error": True, "error_message": "Insufficient Credit"})
        self.assertCredits(self.client, 0)
        self.assertFalse(self.client.transaction_ids.filtered(lambda row: row.kind != "grant"))

    def test_not_found_stock_error_nothing_charged(self):
        self.client._credits_grant(2, "Welcome")
        with self.stock_client():
            company = self.env["res.partner"].enrich_by_domain("nobody-knows-this.example")
        self.assertTrue(company["error"])
        self.assertCredits(self.client, 2)

    def test_client_never_uses_another_account(self):
        self.client._credits_grant(3, "Welcome")
        self.other._credits_grant(3, "Welcome")
        duns = self._duns()
        answer = self.rpc(
            "/api/dnb/1/enrich_by_duns", {**STOCK_PARAMS, "account_token": self.other.account_token, "duns": duns}
        )
        self.assertEqual(answer["result"]["data"]["name"], "Quillfeather Stationers Inc.")
        self.assertCredits(self.other, 2)
        self.assertCredits(self.client, 3)
        # A token is an account of one service: not one of another service's.
        snailmail = self.env.ref("snailmail.iap_service_snailmail")
        answer = self.rpc(
            "/api/dnb/1/enrich_by_duns",
            {**STOCK_PARAMS, "account_token": self._client_account(snailmail, "Poster").account_token, "duns": duns},
        )
        self.assertRefused(answer, ACCESS_ERROR)

    def test_unknown_token_stock_error(self):
        self.own.account_token = "not-a-client-token"
        company = self._enrich("anything")
        self.assertTrue(company["error"])
        self.assertFalse(self._search("Quillfeather"))
        answer = self.rpc("/api/dnb/1/search_by_name", {**STOCK_PARAMS, "account_token": "x" * 40, "query": "Quill"})
        data = self.assertRefused(answer, ACCESS_ERROR)
        self.assertNotIn("x" * 40, str(data))

    def test_server_mode_off_refuses_every_client(self):
        self.client._credits_grant(2, "Welcome")
        self.set_server_mode("off")
        self.assertTrue(self._enrich("anything")["error"])
        answer = self.rpc("/api/dnb/1/search_by_name", {**STOCK_PARAMS, "account_token": self.client.account_token})
        self.assertRefused(answer, ACCESS_ERROR)
        self.assertCredits(self.client, 2)

    def test_bad_input_of_any_shape(self):
        self.client._credits_grant(2, "Welcome")
        token = self.client.account_token
        route = "/api/dnb/1/enrich_by_duns"
        for duns in ("", "garbage", "99999:xyz", 42, None, {"a": 1}, ["x"], "x" * 10000):
            answer = self.rpc(route, {**STOCK_PARAMS, "account_token": token, "duns": duns})
            self.assertEqual(answer["result"]["data"], {}, duns)
            self.assertTrue(answer["result"]["error"], duns)
            self.assertFalse(answer["result"]["credit_error"])
        for query in (None, 12, {"q": 1}, ["Quill"], "x" * 5000):
            answer = self.rpc("/api/dnb/1/search_by_name", {**STOCK_PARAMS, "account_token": token, "query": query})
            self.assertEqual(answer["result"]["data"], [], query)
        for domain in (None, 3, "not a domain", "http://", "../../etc/passwd"):
            answer = self.rpc("/api/dnb/1/enrich_by_domain", {**STOCK_PARAMS, "account_token": token, "domain": domain})
            self.assertTrue(answer["result"]["error"], domain)
        self.assertRefused(self.rpc(route, {**STOCK_PARAMS, "account_token": token, "duns": "x", "extra": 1}))
        self.assertRefused(self.rpc(route, ["positional"]))
        self.assertRefused(self.rpc(route, {}, raw=b"{not json"))
        self.assertRefused(self.rpc(route, {}, raw=b'{"jsonrpc": "1.0", "params": {}}'))
        self.assertRefused(self.rpc(route, {**STOCK_PARAMS, "account_token": None}), ACCESS_ERROR)
        self.assertRefused(self.rpc(route, {**STOCK_PARAMS, "account_token": 12}), ACCESS_ERROR)
        self.assertCredits(self.client, 2)
        self.assertLedgerConsistent(self.client)
