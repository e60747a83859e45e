# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The VIES, GLEIF and company website engines against a small HTTP server on 127.0.0.1
that speaks each provider's shapes, and each way a provider fails: not found, down,
timeout, rate limit, error answers and malformed answers. A failure is never charged,
and its message tells the user what happened without the details the log keeps."""

import base64
import time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import company_data
from .common_autocomplete import (
    LEI_ACME,
    LEI_HARBOUR,
    NAME_ONLY_DOMAIN,
    OPENGRAPH_DOMAIN,
    VIES_BE,
    VIES_BE_INVALID,
    VIES_DE_NO_NAME,
    WEBSITE_DOMAIN,
    AutocompleteCase,
)
from .local_server import closed_port_url

ENGINE_LOGGER = "odoo.addons.iap_credits.models.iap_autocomplete_engine"


class ProviderCase(AutocompleteCase):
    def setUp(self):
        super().setUp()
        self.providers = self._start_providers()

    def assertFailedWithoutCharge(self, data, message_part):
        self.assertTrue(data.get("error"), data)
        self.assertIn(message_part, data["error_message"])
        self.assertIn("No credit was charged", data["error_message"])
        self.assertEqual(self._kinds(), ["reservation", "release"], "held, then released")
        self.assertNothingCharged()


@tagged("post_install", "-at_install")
class TestViesEngine(ProviderCase):
    def setUp(self):
        super().setUp()
        self.vies = self._engine("vies", self.providers)
        self._use_engines(self.vies)

    def _vat_search(self, vat, country=False):
        return self.env["res.partner"].autocomplete_by_vat(vat, country)

    def test_search_and_enrich(self):
        suggestions = self._vat_search("BE 0480.196.322")
        self.assertEqual([s["name"] for s in suggestions], ["NV HAVENZICHT LOGISTIEK"])
        request = self.providers.requests_to("vies")[0]
        self.assertEqual((request["method"], request["path"]), ("POST", "/vies/check-vat-number"))
        self.assertEqual(
            request["body"], '{"countryCode": "BE", "vatNumber": "0480196322"}', "the REST API's request shape"
        )
        self.assertEqual(self._kinds(), [], "the search is free")

        data = self._pick(suggestions[0])
        self.assertEqual(data["name"], "NV HAVENZICHT LOGISTIEK")
        self.assertEqual(data["vat"], "BE0480196322")
        self.assertEqual((data["street"], data["zip"], data["city"]), ("Kaaistraat 12 bus 3", "2000", "Antwerpen"))
        self.assertEqual(data["country_id"]["id"], self.env.ref("base.be").id)
        self.assertEqual(len(self.providers.requests_to("vies")), 2, "enriching asks VIES again")
        self.assertCredits(self.ac_account, 9)

    def test_number_without_prefix_in_the_contacts_country(self):
        suggestions = self._vat_search("05408241602", self.env.ref("base.fr").id)
        self.assertEqual([s["name"] for s in suggestions], ["SAS LES VERGERS DU LEMAN"])
        data = self._pick(suggestions[0])
        self.assertEqual(
            (data["street"], data["street2"], data["zip"], data["city"]),
            ("18 RUE DES PECHEURS", "ZONE ARTISANALE", "74200", "THONON-LES-BAINS"),
        )
        self.assertEqual(data["vat"], "FR05408241602")

    def test_only_valid_eu_numbers_are_sent(self):
        for vat in ("BE0480196323", "US123456789", "hello world", "0480196322"):
            with self.subTest(vat=vat):
                self.assertEqual(self._vat_search(vat), [])
        self.assertEqual(self.providers.requests_to("vies"), [], "nothing worth asking VIES left the database")

    def test_invalid_number(self):
        self.assertEqual(self._vat_search("".join(VIES_BE_INVALID)), [])
        data = self.env["res.partner"].enrich_by_duns(
            company_data.make_reference(self.vies.id, "".join(VIES_BE_INVALID))
        )
        self.assertFailedWithoutCharge(data, "No company data was found")

    def test_member_state_that_shares_no_name(self):
        self.assertEqual(self._vat_search("".join(VIES_DE_NO_NAME)), [])
        data = self.env["res.partner"].enrich_by_duns(
            company_data.make_reference(self.vies.id, "".join(VIES_DE_NO_NAME))
        )
        self.assertFailedWithoutCharge(data, "No company data was found")

    def _enrich_be(self):
        return self.env["res.partner"].enrich_by_duns(company_data.make_reference(self.vies.id, "".join(VIES_BE)))

    def test_member_state_unavailable(self):
        self.providers.mode["vies"] = "vies_unavailable"
        self.assertEqual(self._vat_search("".join(VIES_BE)), [], "a failed search shows no suggestion")
        self.assertFailedWithoutCharge(self._enrich_be(), "unavailable")

    def test_too_many_requests(self):
        self.providers.mode["vies"] = "vies_busy"
        self.assertFailedWithoutCharge(self._enrich_be(), "too many requests")

    def test_rate_limited_http(self):
        self.providers.mode["vies"] = "ratelimit"
        self.assertFailedWithoutCharge(self._enrich_be(), "too many requests")

    def test_server_error(self):
        self.providers.mode["vies"] = "error"
        self.assertFailedWithoutCharge(self._enrich_be(), "HTTP 500")

    def test_garbage(self):
        self.providers.mode["vies"] = "garbage"
        self.assertFailedWithoutCharge(self._enrich_be(), "unreadable")

    def test_malformed(self):
        self.providers.mode["vies"] = "malformed"
        self.assertFailedWithoutCharge(self._enrich_be(), "unreadable")

    def test_unreachable(self):
        self.vies.vies_url = closed_port_url()
        self.assertFailedWithoutCharge(self._enrich_be(), "could not be reached")

    def test_timeout(self):
        # Odoo's test framework raises any timeout below 10 s to 10 s: the server hangs longer.
        self.providers.mode["vies"] = "hang"
        start = time.monotonic()
        data = self._enrich_be()
        self.assertLess(time.monotonic() - start, 11.5, "gave up at the timeout, without waiting for the answer")
        self.assertFailedWithoutCharge(data, "did not answer in time")


@tagged("post_install", "-at_install")
class TestGleifEngine(ProviderCase):
    def setUp(self):
        super().setUp()
        self.gleif = self._engine("gleif", self.providers)
        self._use_engines(self.gleif)

    def test_search_and_enrich(self):
        suggestions = self._search("rocket", self.env.ref("base.us").id)
        self.assertEqual([s["name"] for s in suggestions], ["ACME ROCKET SUPPLIES, INC."], "inactive entities left out")
        request = self.providers.requests_to("gleif")[0]
        self.assertEqual(request["path"], "/gleif/lei-records")
        self.assertEqual(request["query"]["filter[fulltext]"], "rocket")
        self.assertEqual(request["query"]["filter[entity.legalAddress.country]"], "US")
        self.assertEqual(request["query"]["page[size]"], "10")
        self.assertIn("application/vnd.api+json", request["headers"]["Accept"])
        self.assertEqual(self._kinds(), [])

        data = self._pick(suggestions[0])
        self.assertEqual(self.providers.requests_to("gleif")[-1]["path"], f"/gleif/lei-records/{LEI_ACME}")
        self.assertEqual(data["name"], "ACME ROCKET SUPPLIES, INC.")
        self.assertEqual((data["street"], data["street2"]), ("1200 Canyon Road", "Building 7"), "the legal address")
        self.assertEqual((data["zip"], data["city"]), ("93721", "Fresno"))
        self.assertEqual(data["state_id"]["id"], self.env.ref("base.state_us_5").id, "US-CA is California")
        self.assertEqual(data["company_registry"], "C0806592")
        self.assertCredits(self.ac_account, 9)

    def test_worldwide(self):
        suggestions = self._search("rocket", 0)
        self.assertEqual(len(suggestions), 2)
        self.assertNotIn("filter[entity.legalAddress.country]", self.providers.requests_to("gleif")[0]["query"])
        harbour = next(s for s in suggestions if company_data.parse_reference(s["duns"])[1] == LEI_HARBOUR)
        self.assertEqual(self._pick(harbour)["country_id"]["id"], self.env.ref("base.uk").id)

    def test_unknown_lei(self):
        data = self.env["res.partner"].enrich_by_duns(
            company_data.make_reference(self.gleif.id, "549300UNKNOWN0000099")
        )
        self.assertFailedWithoutCharge(data, "No company data was found")

    def test_not_a_lei_is_not_sent(self):
        data = self.env["res.partner"].enrich_by_duns(company_data.make_reference(self.gleif.id, "../../admin"))
        self.assertFailedWithoutCharge(data, "No company data was found")
        self.assertEqual(self.providers.requests_to("gleif"), [])

    def _enrich_acme(self):
        return self.env["res.partner"].enrich_by_duns(company_data.make_reference(self.gleif.id, LEI_ACME))

    def test_rate_limited(self):
        self.providers.mode["gleif"] = "ratelimit"
        self.assertEqual(self._search("rocket"), [])
        self.assertFailedWithoutCharge(self._enrich_acme(), "too many requests")

    def test_server_error_is_logged_redacted(self):
        self.providers.mode["gleif"] = "error"
        with self.assertLogs(ENGINE_LOGGER, "WARNING") as logs:
            self.assertEqual(self._search("Confidential Prospect"), [])
        self.assertIn("HTTP 500", logs.output[0])
        self.assertNotIn("Confidential", "\n".join(logs.output), "what the user typed stays out of the log")
        self.assertFailedWithoutCharge(self._enrich_acme(), "HTTP 500")

    def test_garbage(self):
        self.providers.mode["gleif"] = "garbage"
        self.assertFailedWithoutCharge(self._enrich_acme(), "unreadable")

    def test_malformed(self):
        self.providers.mode["gleif"] = "malformed"
        self.assertEqual(self._search("rocket"), [])
        self.assertFailedWithoutCharge(self._enrich_acme(), "unreadable")

    def test_unreachable(self):
        self.gleif.gleif_url = closed_port_url()
        self.assertEqual(self._search("rocket"), [])
        self.assertFailedWithoutCharge(self._enrich_acme(), "could not be reached")

    def test_timeout(self):
        self.providers.mode["gleif"] = "hang"
        start = time.monotonic()
        data = self._enrich_acme()
        self.assertLess(time.monotonic() - start, 11.5)
        self.assertFailedWithoutCharge(data, "did not answer in time")

    def test_sandbox_first_then_gleif(self):
        self._use_engines(self.sandbox, self.gleif)
        self.gleif.sequence = 20
        self.sandbox.sequence = 10
        self.assertEqual([s["name"] for s in self._search("quillfeather")], [self.entry.name])
        self.assertEqual(self.providers.requests_to("gleif"), [], "the directory answered: GLEIF is not asked")
        self.assertEqual([s["name"] for s in self._search("rocket")], ["ACME ROCKET SUPPLIES, INC."])

    def test_engine_down_then_next_engine(self):
        self.providers.mode["gleif"] = "error"
        self.gleif.sequence = 1
        self._use_engines(self.gleif, self.sandbox)
        self.assertEqual([s["name"] for s in self._search("quillfeather")], [self.entry.name])


@tagged("post_install", "-at_install")
class TestWebsiteEngine(ProviderCase):
    def setUp(self):
        super().setUp()
        self.website = self._engine("website", self.providers)
        self._use_engines(self.website)

    def test_enrich_by_domain_json_ld(self):
        data = self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN)
        paths = [request["path"] for request in self.providers.requests_to("sites")]
        self.assertEqual(paths, [f"/sites/{WEBSITE_DOMAIN}/", f"/sites/{WEBSITE_DOMAIN}/static/logo.png"])
        self.assertEqual(data["name"], "Harbour Lights Ltd", "the legal name")
        self.assertEqual((data["street"], data["zip"], data["city"]), ("12 Quay Street", "BS1 4DJ", "Bristol"))
        self.assertEqual(data["country_id"]["id"], self.env.ref("base.uk").id)
        self.assertEqual((data["email"], data["phone"]), ("hello@harbourlights.co.uk", "+44 117 496 0123"))
        self.assertEqual(data["vat"], "GB804231823")
        self.assertEqual(data["website"], f"https://{WEBSITE_DOMAIN}")
        self.assertTrue(base64.b64decode(data["logo"]).startswith(b"\x89PNG"))
        self.assertEqual(data["image_1920"], data["logo"], "the key the stock company enrichment writes")
        self.assertCredits(self.ac_account, 9)

    def test_domain_typed_as_a_name(self):
        suggestions = self._search(f"www.{WEBSITE_DOMAIN}")
        self.assertEqual([s["name"] for s in suggestions], [WEBSITE_DOMAIN])
        self.assertEqual(self.providers.requests_to("sites"), [], "nothing is fetched while the user types")
        self.assertEqual(self._search("Harbour Lights"), [], "not a domain")
        data = self._pick(suggestions[0])
        self.assertEqual(data["city"], "Bristol")
        self.assertCredits(self.ac_account, 9)

    def test_opengraph(self):
        data = self.env["res.partner"].enrich_by_domain(OPENGRAPH_DOMAIN)
        self.assertEqual(data["name"], "La Lanterne Bleue")
        self.assertEqual((data["street"], data["zip"], data["city"]), ("3 Rue Mercière", "69002", "Lyon"))
        self.assertEqual(data["country_id"]["id"], self.env.ref("base.fr").id, "by the country's name")
        self.assertEqual(data["email"], "contact@lanterne-bleue.fr")
        self.assertNotIn("logo", data)

    def test_company_enrichment(self):
        company = self.env["res.company"].create({"name": "Harbour Lights", "email": f"info@{WEBSITE_DOMAIN}"})
        self.assertTrue(company._enrich())
        self.assertEqual(company.partner_id.city, "Bristol")
        self.assertTrue(company.partner_id.image_1920)
        self.assertCredits(self.ac_account, 9)

    def test_name_only_site(self):
        data = self.env["res.partner"].enrich_by_domain(NAME_ONLY_DOMAIN)
        self.assertFailedWithoutCharge(data, "No company data was found")

    def test_no_site(self):
        self.assertFailedWithoutCharge(
            self.env["res.partner"].enrich_by_domain("nowhere-at-all.com"), "No company data"
        )

    def test_not_html(self):
        self.providers.pages[f"/sites/{WEBSITE_DOMAIN}/"] = ("application/pdf", b"%PDF-1.4")
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "No company data")

    def test_redirect_on_the_trusted_host(self):
        self.providers.redirects[f"/sites/www.{WEBSITE_DOMAIN}/"] = f"/sites/{WEBSITE_DOMAIN}/"
        self.website.website_url = f"{self.providers.url}/sites/www.{{domain}}/"
        self.assertEqual(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN)["city"], "Bristol")

    def test_redirect_to_the_local_network_is_refused(self):
        # A host the administrator did not write must be public: "localhost" is this server.
        port = self.providers.server.server_address[1]
        self.providers.redirects[f"/sites/{WEBSITE_DOMAIN}/"] = f"http://localhost:{port}/sites/{OPENGRAPH_DOMAIN}/"
        data = self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN)
        self.assertFailedWithoutCharge(data, "not on the public internet")
        self.assertEqual(len(self.providers.requests_to("sites")), 1, "the redirection was not followed")

    def test_redirect_loop(self):
        self.providers.redirects[f"/sites/{WEBSITE_DOMAIN}/"] = f"/sites/{WEBSITE_DOMAIN}/"
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "redirects")

    def test_default_url_reads_only_public_hosts(self):
        self.website.website_url = "https://{domain}/"
        for domain in ("localhost", "127.0.0.1", "intranet.local", "10.0.0.1", "[::1]"):
            with self.subTest(domain=domain):
                self.assertTrue(self.env["res.partner"].enrich_by_domain(domain)["error"])
        self.assertEqual(self._kinds(), [], "refused before any hold: not a domain")

    def test_page_too_large(self):
        self.providers.pages[f"/sites/{WEBSITE_DOMAIN}/"] = ("text/html", b"<html>" + b" " * 2_100_000 + b"</html>")
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "unreadable")

    def test_unreadable_logo_keeps_the_data(self):
        self.providers.pages[f"/sites/{WEBSITE_DOMAIN}/static/logo.png"] = ("image/png", b"not an image")
        data = self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN)
        self.assertEqual(data["city"], "Bristol")
        self.assertNotIn("logo", data)
        self.assertCredits(self.ac_account, 9)

    def test_site_down(self):
        self.providers.mode["sites"] = "error"
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "HTTP 500")

    def test_site_rate_limited(self):
        self.providers.mode["sites"] = "ratelimit"
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "too many requests")

    def test_malformed_redirection(self):
        self.providers.redirects[f"/sites/{WEBSITE_DOMAIN}/"] = "http://127.0.0.1:99999/"
        self.assertFailedWithoutCharge(self.env["res.partner"].enrich_by_domain(WEBSITE_DOMAIN), "unreadable")

    def test_engine_urls_are_checked(self):
        for field, url in (
            ("website_url", "http://[::1/{domain}"),
            ("website_url", "file:///etc/{domain}"),
            ("vies_url", "ftp://vies.example.com"),
            ("gleif_url", "http://127.0.0.1:99999/api"),
        ):
            with self.subTest(field=field, url=url), self.assertRaises(ValidationError):
                self.website.write({field: url})
        self.website.website_url = "https://proxy.example.com/sites/{domain}/"
