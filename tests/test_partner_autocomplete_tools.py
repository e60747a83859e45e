# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The plain-Python readers of the partner autocomplete engines (tools/company_data.py):
addresses, VAT numbers, domains, LEI records and website metadata."""

import extruct

from odoo.tests import BaseCase, tagged

from ..tools import company_data as cd
from .common_autocomplete import LEI_ACME, LEI_RECORDS, OPENGRAPH_HTML, WEBSITE_HTML


@tagged("post_install", "-at_install")
class TestCompanyData(BaseCase):
    def test_postal_addresses(self):
        cases = {
            "Chaussée de Namur 40\n1367 Ramillies": ("Chaussée de Namur 40", None, "1367", "Ramillies"),
            "VIA NAZIONALE 91 \n00184 ROMA RM\n": ("VIA NAZIONALE 91", None, "00184", "ROMA RM"),
            "KEIZERSGRACHT 412\n1016 GC AMSTERDAM": ("KEIZERSGRACHT 412", None, "1016 GC", "AMSTERDAM"),
            "RUA AUGUSTA 27\n1100-048 LISBOA": ("RUA AUGUSTA 27", None, "1100-048", "LISBOA"),
            "12 RUE DE LA PAIX\nBATIMENT B\n75002 PARIS": ("12 RUE DE LA PAIX", "BATIMENT B", "75002", "PARIS"),
            "123 Main Street\nDublin 2": ("123 Main Street", None, None, "Dublin 2"),
            "Only a street": ("Only a street", None, None, None),
        }
        for text, (street, street2, zip_code, city) in cases.items():
            with self.subTest(text=text):
                address = cd.parse_postal_address(text)
                self.assertEqual(
                    (address.get("street"), address.get("street2"), address.get("zip"), address.get("city")),
                    (street, street2, zip_code, city),
                )
        self.assertEqual(cd.parse_postal_address("---"), {})
        self.assertEqual(cd.parse_postal_address(None), {})

    def test_eu_vat_numbers(self):
        self.assertEqual(cd.split_eu_vat("BE 0477.472.701"), ("BE", "0477472701"))
        self.assertEqual(cd.split_eu_vat("0477472701", "BE"), ("BE", "0477472701"), "the contact's country")
        self.assertEqual(cd.split_eu_vat("BE0477472701", "FR"), ("BE", "0477472701"), "the number's own prefix")
        self.assertEqual(cd.split_eu_vat("GR094259216"), ("EL", "094259216"), "VIES calls Greece EL")
        self.assertEqual(cd.split_eu_vat("094259216", "GR"), ("EL", "094259216"))
        for vat, country in (
            ("BE0477472702", None),
            ("US123456789", None),
            ("0477472701", None),
            (42, None),
            ("0477472701", "US"),
            ("x" * 100, "BE"),
        ):
            with self.subTest(vat=vat):
                self.assertIsNone(cd.split_eu_vat(vat, country))

    def test_vies_company(self):
        answer = {"valid": True, "name": "SA ODOO", "address": "Chaussée de Namur 40\n1367 Ramillies"}
        self.assertEqual(
            cd.vies_company(answer, "BE", "0477472701"),
            {
                "name": "SA ODOO",
                "vat": "BE0477472701",
                "country_code": "BE",
                "street": "Chaussée de Namur 40",
                "zip": "1367",
                "city": "Ramillies",
            },
        )
        self.assertEqual(cd.vies_company({"valid": True, "name": "X", "address": ""}, "EL", "1")["country_code"], "GR")
        self.assertEqual(cd.vies_company({"valid": True, "name": "---", "address": "---"}, "DE", "1"), {})
        self.assertEqual(cd.vies_company({"valid": False, "name": "X"}, "BE", "1"), {})

    def test_domains(self):
        cases = {
            "https://www.info.proximus.be/faq?x=1": "proximus.be",
            "info@waterlink.be": "waterlink.be",
            "www.example.co.uk": "example.co.uk",
            "HTTP://Shop.Example.COM:8080/": "example.com",
            "localhost": None,
            "127.0.0.1": None,
            "http://[::1]/": None,
            "intranet.local": None,
            "acme.c": None,
            "not a domain.com": None,
            "": None,
            None: None,
        }
        for value, domain in cases.items():
            with self.subTest(value=value):
                self.assertEqual(cd.registrable_domain(value), domain)

    def test_public_hosts(self):
        self.assertTrue(cd.is_public_address("8.8.8.8"))
        for address in (
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "0.0.0.0",
            "not an address",
        ):
            with self.subTest(address=address):
                self.assertFalse(cd.is_public_address(address))
        with self.assertRaises(ValueError):
            cd.resolve_public_host("localhost", 80)
        with self.assertRaises(ValueError):
            cd.resolve_public_host("127.0.0.1", 80)

    def test_http_urls(self):
        self.assertTrue(cd.is_http_url("https://api.gleif.org/api/v1"))
        for url in ("ftp://x.org", "http://[::1", "http://host:99999/", "/relative", "", None):
            with self.subTest(url=url):
                self.assertFalse(cd.is_http_url(url))

    def test_references(self):
        reference = cd.make_reference(7, "BE0477472701")
        self.assertEqual(cd.parse_reference(reference), (7, "BE0477472701"))
        self.assertEqual(cd.parse_reference(cd.make_reference(7, "a:b")), (7, "a:b"), "keys may hold colons")
        for reference in ("123456789", "local:x:1", "local:1:", "other:1:2", None, 12, "local:1:" + "k" * 500):
            with self.subTest(reference=reference):
                self.assertIsNone(cd.parse_reference(reference))

    def test_gleif_record(self):
        company = cd.gleif_company(LEI_RECORDS[LEI_ACME])
        self.assertEqual(company["lei"], LEI_ACME)
        self.assertEqual(company["name"], "ACME ROCKET SUPPLIES, INC.")
        self.assertEqual((company["street"], company["street2"]), ("1200 Canyon Road", "Building 7"))
        self.assertEqual((company["country_code"], company["state_code"]), ("US", "CA"))
        self.assertEqual(company["company_registry"], "C0806592")
        for record in (
            None,
            [],
            {"attributes": None},
            {"attributes": {"lei": "short", "entity": {}}},
            {"attributes": {"lei": LEI_ACME, "entity": {"legalName": {"name": "  "}}}},
        ):
            with self.subTest(record=record):
                self.assertIsNone(cd.gleif_company(record))

    def _metadata(self, html):
        return extruct.extract(
            html,
            base_url="https://example.com/",
            syntaxes=["json-ld", "microdata", "opengraph"],
            uniform=True,
            errors="ignore",
        )

    def test_website_json_ld(self):
        company = cd.website_company(self._metadata(WEBSITE_HTML))
        self.assertEqual(company["name"], "Harbour Lights Ltd")
        self.assertEqual(company["logo_url"], "static/logo.png")
        self.assertEqual(
            (company["street"], company["zip"], company["city"], company["country_code"]),
            ("12 Quay Street", "BS1 4DJ", "Bristol", "GB"),
        )
        self.assertEqual(company["email"], "hello@harbourlights.co.uk")

    def test_website_microdata(self):
        html = """<html><body><div itemscope itemtype="https://schema.org/LocalBusiness">
            <span itemprop="name">Bakery Lune</span>
            <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
              <span itemprop="streetAddress">5 Rue du Four</span>
              <span itemprop="postalCode">35000</span> <span itemprop="addressLocality">Rennes</span>
              <span itemprop="addressCountry">FR</span></div>
            <span itemprop="telephone">+33 2 99 00 00 00</span></div></body></html>"""
        company = cd.website_company(self._metadata(html))
        self.assertEqual(
            (company["name"], company["city"], company["phone"]), ("Bakery Lune", "Rennes", "+33 2 99 00 00 00")
        )

    def test_website_opengraph(self):
        company = cd.website_company(self._metadata(OPENGRAPH_HTML))
        self.assertEqual((company["name"], company["country_name"]), ("La Lanterne Bleue", "France"))
        self.assertNotIn("logo_url", company)

    def test_website_without_metadata(self):
        self.assertEqual(cd.website_company(self._metadata("<html><body>Hello</body></html>")), {})
        self.assertFalse(cd.has_enrichment({"name": "Only a name", "website": "https://x.com"}))
        self.assertTrue(cd.has_enrichment({"name": "A", "city": "B"}))
