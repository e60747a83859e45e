# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Partner autocomplete on a local account: the stock API (`res.partner.autocomplete_by_*`,
`enrich_by_*`, the company enrichment) answered by the Sandbox engine through the dispatch
layer, and the charging rules: searches are free, an enrichment costs the service's price
when company data was found, and nothing else is ever charged."""

import base64

from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import TransactionCase, tagged

from ..tools import company_data
from .common_autocomplete import AutocompleteCase


@tagged("post_install", "-at_install")
class TestPartnerAutocompleteSandbox(AutocompleteCase):
    # ------------------------------------------------------------
    # Searches: free, and suggestions that carry only what the dropdown shows
    # ------------------------------------------------------------

    def test_search_by_name_is_free(self):
        suggestions = self._search("quillfeather")
        self.assertEqual(len(suggestions), 1)
        suggestion = suggestions[0]
        self.assertEqual(suggestion["name"], "Quillfeather Stationers Inc.")
        self.assertEqual(company_data.parse_reference(suggestion["duns"]), (self.sandbox.id, str(self.entry.id)))
        # The stock widget writes a suggestion's fields when its enrichment fails: only the name.
        self.assertEqual(set(suggestion), {"name", "duns"})
        self.assertEqual(self._kinds(), [], "a search moves no credit")
        self.assertCredits(self.ac_account, 10)

    def test_search_in_the_country_then_worldwide(self):
        belgian = self.env["iap.autocomplete.directory"].create(
            {"name": "Quillfeather Benelux BV", "country_id": self.env.ref("base.be").id, "city": "Gent"}
        )
        us = self.env.ref("base.us").id
        self.assertEqual([s["name"] for s in self._search("quillfeather", us)], ["Quillfeather Stationers Inc."])
        worldwide = self._search("quillfeather", 0)
        self.assertEqual(len(worldwide), 2, "0 is the widget's 'Search Worldwide'")
        # Nothing in the contact's country: the whole directory answers.
        self.assertEqual(
            [s["name"] for s in self._search("benelux", us)], [belgian.name], "found worldwide when not in the US"
        )

    def test_search_by_vat_without_the_stock_vies_fallback(self):
        suggestions = self.env["res.partner"].autocomplete_by_vat("US123456789", False)
        self.assertEqual([s["name"] for s in suggestions], [self.entry.name])
        # Unknown number: no suggestion, and the stock fallback (VIES by SOAP, from this server)
        # is not taken for a local account: the Sandbox sends nothing anywhere.
        with self.assertNoLogs("odoo.addons.partner_autocomplete.models.res_partner", "WARNING"):
            self.assertEqual(self.env["res.partner"].autocomplete_by_vat("BE0477472701", False), [])
        self.assertEqual(self._kinds(), [])

    def test_archived_entries_are_not_suggested(self):
        self.entry.active = False
        self.assertEqual(self._search("quillfeather", 0), [])

    # ------------------------------------------------------------
    # Enrichment: charged when found, with the stock answer shape
    # ------------------------------------------------------------

    def test_enrich_picked_suggestion(self):
        data = self._pick(self._search("quillfeather")[0])
        self.assertNotIn("error", data)
        self.assertEqual(data["name"], "Quillfeather Stationers Inc.")
        self.assertEqual(data["vat"], "US12-3456789")
        self.assertEqual(
            (data["street"], data["street2"], data["zip"], data["city"]), ("77 Ink Lane", "Unit 4", "93721", "Fresno")
        )
        self.assertEqual(data["country_id"]["id"], self.env.ref("base.us").id, "codes become records, as stock")
        self.assertEqual(data["state_id"]["id"], self.env.ref("base.state_us_5").id)
        self.assertEqual(data["company_registry"], "C1234567")
        self.assertEqual(data["website"], "https://www.quillfeather-stationers.com")
        self.assertEqual((data["email"], data["phone"]), ("hello@quillfeather-stationers.com", "+1 559-555-0177"))
        self.assertTrue(base64.b64decode(data["logo"]).startswith(b"\x89PNG"), "the widget sets the logo as image")
        self.assertEqual(self._kinds(), ["reservation", "capture"])
        self.assertCredits(self.ac_account, 9)
        capture = self.ac_account.transaction_ids.filtered(lambda t: t.kind == "capture")
        self.assertEqual(capture.description, "Company data: Quillfeather Stationers Inc. (Test sandbox)")

    def test_enrich_uses_the_service_price(self):
        self.service.credit_unit_price = 2.5
        self._pick(self._search("quillfeather")[0])
        self.assertCredits(self.ac_account, 7.5)

    def test_entry_gone_is_not_charged(self):
        suggestion = self._search("quillfeather")[0]
        self.entry.unlink()
        data = self._pick(suggestion)
        self.assertTrue(data["error"])
        self.assertIn("No company data was found", data["error_message"])
        self.assertIn("No credit was charged", data["error_message"])
        self.assertEqual(self._kinds(), ["reservation", "release"], "held, then released")
        self.assertNothingCharged()

    def test_name_only_is_not_charged(self):
        entry = self.env["iap.autocomplete.directory"].create({"name": "Nameonly Corp"})
        data = self._pick(self._search("nameonly", 0)[0])
        self.assertTrue(data["error"], "a name is what the free suggestion already said")
        self.assertEqual(self._kinds(), ["reservation", "release"])
        entry.city = "Fresno"
        data = self._pick(self._search("nameonly", 0)[0])
        self.assertEqual(data["city"], "Fresno")
        self.assertCredits(self.ac_account, 9)

    def test_insufficient_credit(self):
        self.ac_account._credits_debit(9.5, "Spent elsewhere")
        data = self._pick(self._search("quillfeather")[0])
        # The stock message: the widget offers to buy credits (this database's packs page).
        self.assertEqual((data["error"], data["error_message"]), (True, "Insufficient Credit"))
        self.assertEqual(self._kinds(), ["adjustment"], "nothing held, nothing asked")
        self.assertCredits(self.ac_account, 0.5)
        company = self.env["res.company"].create({"name": "Short Co", "email": "a@quillfeather-stationers.com"})
        self.assertFalse(company._enrich(), "the company enrichment is refused the same way")
        self.assertFalse(company.partner_id.city)

    def test_free_enrichment(self):
        self.service.credit_unit_price = 0
        data = self._pick(self._search("quillfeather")[0])
        self.assertEqual(data["city"], "Fresno")
        self.assertEqual(self._kinds(), [])

    def test_enrich_by_gst_finds_the_vat_number(self):
        self.entry.vat = "27AAPFU0939F1ZV"
        data = self.env["res.partner"].enrich_by_gst("27AAPFU0939F1ZV")
        self.assertEqual(data["name"], self.entry.name)
        self.assertCredits(self.ac_account, 9)

    # ------------------------------------------------------------
    # What a stranger may send: references and parameters
    # ------------------------------------------------------------

    def test_references_are_checked(self):
        Partner = self.env["res.partner"]
        other_company = self.env["res.company"].create({"name": "Autocomplete Other Co"})
        foreign = self._engine("sandbox", company_id=other_company.id)
        not_used = self._engine("sandbox")
        for reference in (
            False,
            42,
            "",
            "123456789",  # a real DUNS number: not ours
            "local:abc:1",
            f"local:{not_used.id}:{self.entry.id}",  # an engine the account does not use
            f"local:{foreign.id}:{self.entry.id}",  # another company's engine
            f"local:{self.sandbox.id}:",
            f"local:{self.sandbox.id}:" + "9" * 200,
        ):
            with self.subTest(reference=reference):
                data = Partner.enrich_by_duns(reference)
                self.assertTrue(data.get("error"), data)
        self.assertEqual(self._kinds(), [], "refused before any hold")
        for key in ("not-a-number", "9" * 30, "-1", "0"):
            with self.subTest(key=key):
                data = Partner.enrich_by_duns(f"local:{self.sandbox.id}:{key}")
                self.assertIn("No company data was found", data["error_message"])
        self.assertEqual(self._kinds(), ["reservation", "release"] * 4, "asked, found nothing, not charged")

    def test_parameters_of_any_type(self):
        Partner = self.env["res.partner"]
        for query in (None, 12, ["quill"], {"a": 1}, "   ", "q" * 5000):
            with self.subTest(query=query):
                self.assertEqual(Partner.autocomplete_by_name(query, False), [])
        self.assertEqual(
            Partner.autocomplete_by_name("quillfeather", False, timeout="never")[0]["name"], self.entry.name
        )
        self.assertTrue(Partner.enrich_by_domain(None)["error"])
        self.assertTrue(Partner.enrich_by_domain("localhost")["error"])
        self.assertTrue(Partner.enrich_by_gst(["x"])["error"])
        self.assertEqual(self._kinds(), [])

    # ------------------------------------------------------------
    # Routing: engines, modes
    # ------------------------------------------------------------

    def test_no_engine(self):
        self._use_engines()
        self.assertEqual(self._search("quillfeather"), [])
        data = self.env["res.partner"].enrich_by_domain("quillfeather-stationers.com")
        self.assertIn("No autocomplete engine", data["error_message"])
        self.assertEqual(self._kinds(), [])

    def test_engines_in_order(self):
        second = self._engine("sandbox", sequence=20)
        self.sandbox.sequence = 5
        self._use_engines(second, self.sandbox)
        reference = company_data.parse_reference(self._search("quillfeather")[0]["duns"])
        self.assertEqual(reference[0], self.sandbox.id, "the first engine by sequence answers")
        self.sandbox.sequence = 30
        reference = company_data.parse_reference(self._search("quillfeather")[0]["duns"])
        self.assertEqual(reference[0], second.id)

    def test_odoo_mode_takes_the_stock_path(self):
        self.ac_account.credit_mode = "odoo"
        # Stock refuses to call Odoo's server from tests ("Test mode"): the stock answer.
        self.assertEqual(self._search("quillfeather"), [])
        self.assertEqual(self.env["res.partner"].enrich_by_duns("123456789")["error_message"], "Insufficient Credit")
        self.assertEqual(self._kinds(), [])

    def test_account_of_the_users_company(self):
        company_b = self.env["res.company"].create({"name": "Autocomplete Company B"})
        self.sandbox.company_id = False  # shared by both companies
        account_b = self.env["iap.account"].create(
            {
                "name": "Company B autocomplete",
                "service_id": self.service.id,
                "company_ids": [(6, 0, company_b.ids)],
                "credit_mode": "local",
                "autocomplete_engine_ids": [(6, 0, self.sandbox.ids)],
            }
        )
        account_b._credits_grant(5, "B credits")
        suggestion = self._search("quillfeather")[0]
        Partner_b = self.env["res.partner"].with_company(company_b).with_context(allowed_company_ids=company_b.ids)
        self.assertEqual(Partner_b.enrich_by_duns(suggestion["duns"])["city"], "Fresno")
        account_b.invalidate_recordset()
        self.assertEqual(account_b.credit_balance, 4, "company B pays for company B's enrichments")
        self.assertNothingCharged()

    # ------------------------------------------------------------
    # Company enrichment (stock, on the first web client load)
    # ------------------------------------------------------------

    def test_company_enrichment(self):
        company = self.env["res.company"].create({"name": "Quillfeather (my company)"})
        company.partner_id.email = "accounts@quillfeather-stationers.com"
        self.assertTrue(company._enrich())
        partner = company.partner_id
        self.assertEqual((partner.street, partner.city, partner.zip), ("77 Ink Lane", "Fresno", "93721"))
        self.assertEqual(partner.country_id, self.env.ref("base.us"))
        self.assertEqual(partner.state_id, self.env.ref("base.state_us_5"))
        self.assertEqual(partner.phone, "+1 559-555-0177")
        self.assertEqual(partner.name, "Quillfeather (my company)", "stock keeps what is filled")
        self.assertEqual(partner.image_1920, self.entry.logo, "the logo, as stock writes it")
        self.assertCredits(self.ac_account, 9)

    def test_company_enrichment_not_found_is_free(self):
        company = self.env["res.company"].create({"name": "Unknown Co", "email": "info@unknown-company.com"})
        before = company.partner_id.read(["street", "city", "phone", "country_id"])
        self.assertFalse(company._enrich())
        self.assertEqual(company.partner_id.read(["street", "city", "phone", "country_id"]), before, "untouched")
        self.assertEqual(self._kinds(), ["reservation", "release"])
        self.assertNothingCharged()

    def test_company_enrichment_on_first_load(self):
        company = self.env["res.company"].create({"name": "Quillfeather HQ", "email": "hq@quillfeather-stationers.com"})
        company.iap_enrich_auto_done = False
        company.iap_enrich_auto()
        self.assertTrue(company.iap_enrich_auto_done)
        self.assertEqual(company.partner_id.city, "Fresno")
        company.iap_enrich_auto()
        self.assertCredits(self.ac_account, 9)  # enriched once


@tagged("post_install", "-at_install")
class TestPartnerAutocompleteNeutralize(AutocompleteCase):
    def test_neutralize_sends_nothing_outside(self):
        engines = self._engine("vies") | self._engine("gleif") | self._engine("website")
        self._use_engines(*engines)
        self.env.flush_all()
        for query in get_neutralization_queries(["iap_credits"]):
            self.env.cr.execute(query)
        engines.invalidate_recordset()
        self.assertEqual(set(engines.mapped("code")), {"sandbox"})
        self.assertEqual(
            engines.mapped("vies_url") + engines.mapped("gleif_url") + engines.mapped("website_url"), [False] * 9
        )
        self.assertEqual(self._search("quillfeather")[0]["name"], self.entry.name, "the directory answers")


@tagged("post_install", "-at_install")
class TestPartnerAutocompleteDemo(TransactionCase):
    """The demo: the admin autocompletes a company of the sandbox directory for one credit."""

    def test_demo_admin_autocompletes_from_the_directory(self):
        account = self.env.ref("iap_credits.iap_account_partner_autocomplete_demo", raise_if_not_found=False)
        if not account:
            self.skipTest("the database has no demo data")
        admin = self.env.ref("base.user_admin")
        Partner = self.env(user=admin)["res.partner"]
        self.assertEqual(
            self.env["iap.credit.dispatch"]._get_account("partner_autocomplete", admin.company_id), account
        )
        self.assertEqual((account.credit_mode, account.autocomplete_engine_ids.code), ("local", "sandbox"))
        balance = account.credit_balance
        self.assertGreater(balance, 0)
        suggestions = Partner.autocomplete_by_name("Redwood Ridge", False)
        self.assertEqual([s["name"] for s in suggestions], ["Redwood Ridge Outfitters Inc."])
        data = Partner.enrich_by_duns(suggestions[0]["duns"])
        self.assertEqual((data["city"], data["state_id"]["display_name"]), ("Fresno", "California (US)"))
        self.assertTrue(data["logo"])
        account.invalidate_recordset()
        self.assertEqual(account.credit_balance, balance - 1, "one credit spent")

    def test_demo_directory(self):
        entries = self.env["iap.autocomplete.directory"].search([("id", "in", self._demo_entry_ids())])
        if not entries:
            self.skipTest("the database has no demo data")
        self.assertGreaterEqual(len(entries), 15)
        self.assertGreaterEqual(len(entries.country_id), 5, "companies of several countries")
        for entry in entries:
            with self.subTest(entry=entry.name):
                self.assertTrue(entry.logo and entry.domain and entry.city and entry.phone and entry.email)
                if entry.vat:
                    checker = gb_vat if entry.vat.startswith("GB") else eu_vat
                    self.assertTrue(checker.is_valid(entry.vat), "the widget recognizes it as a VAT number")

    def _demo_entry_ids(self):
        return (
            self.env["ir.model.data"]
            .search([("module", "=", "iap_credits"), ("model", "=", "iap.autocomplete.directory")])
            .mapped("res_id")
        )
