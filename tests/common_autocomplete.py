# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fixtures of the partner autocomplete tests: a local account with engines, and a small
HTTP server on 127.0.0.1 that speaks the real request and answer shapes of VIES (REST),
GLEIF (JSON:API) and company websites (HTML with JSON-LD / OpenGraph), so that the
engines' client code speaks real HTTP."""

import base64
import io
import json
import time
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from odoo.tests import new_test_user

from .common import IapCreditsCase
from .local_server import LocalServer, QuietHandler

SERVICE = "partner_autocomplete"

# VIES: numbers valid by their check digits (fictitious companies), and what VIES knows.
VIES_BE = ("BE", "0480196322")
VIES_FR = ("FR", "05408241602")
VIES_DE_NO_NAME = ("DE", "508970006")
VIES_BE_INVALID = ("BE", "0396826307")
VIES_ANSWERS = {
    VIES_BE: {
        "name": "NV HAVENZICHT LOGISTIEK",
        "address": "Kaaistraat 12 bus 3\n2000 Antwerpen",
    },
    VIES_FR: {
        "name": "SAS LES VERGERS DU LEMAN",
        "address": "18 RUE DES PECHEURS\nZONE ARTISANALE\n74200 THONON-LES-BAINS",
    },
    # Germany shares the validity of a number, never its name nor address.
    VIES_DE_NO_NAME: {"name": "---", "address": "---"},
}

# GLEIF: LEI records (fictitious entities) in the JSON:API shape of api.gleif.org.
LEI_ACME = "98450012AB34CD56EF78"
LEI_HARBOUR = "549300HARBOUR0000042"
LEI_RETIRED = "549300RETIRED0000017"


def lei_record(lei, name, address, registered_as=None, status="ACTIVE"):
    return {
        "type": "lei-records",
        "id": lei,
        "attributes": {
            "lei": lei,
            "entity": {
                "legalName": {"name": name, "language": "en"},
                "otherNames": [],
                "transliteratedOtherNames": [],
                "legalAddress": {
                    "language": "en",
                    "addressLines": address["lines"],
                    "addressNumber": None,
                    "addressNumberWithinBuilding": None,
                    "mailRouting": None,
                    "city": address["city"],
                    "region": address.get("region"),
                    "country": address["country"],
                    "postalCode": address.get("zip"),
                },
                "headquartersAddress": {
                    "language": "en",
                    "addressLines": ["1 Somewhere Else"],
                    "city": "Elsewhere",
                    "region": None,
                    "country": address["country"],
                    "postalCode": "00000",
                },
                "registeredAt": {"id": "RA000602", "other": None},
                "registeredAs": registered_as,
                "jurisdiction": address["country"],
                "category": "GENERAL",
                "legalForm": {"id": "XTIQ", "other": None},
                "associatedEntity": {"lei": None, "name": None},
                "status": status,
                "expiration": {"date": None, "reason": None},
                "successorEntity": {"lei": None, "name": None},
                "successorEntities": [],
                "creationDate": "2012-06-06T00:00:00Z",
                "subCategory": None,
                "otherAddresses": [],
                "eventGroups": [],
            },
            "registration": {
                "initialRegistrationDate": "2012-06-06T15:53:00Z",
                "lastUpdateDate": "2025-03-01T08:00:00Z",
                "status": "ISSUED",
                "nextRenewalDate": "2026-03-01T08:00:00Z",
                "managingLou": "5493001KJTIIGC8Y1R12",
                "corroborationLevel": "FULLY_CORROBORATED",
                "validatedAt": {"id": "RA000602", "other": None},
                "validatedAs": registered_as,
                "otherValidationAuthorities": [],
            },
            "bic": None,
            "mic": None,
            "ocid": None,
            "spglobal": None,
            "conformityFlag": "CONFORMING",
        },
        "relationships": {
            "managing-lou": {"links": {"related": f"https://api.gleif.org/api/v1/lei-records/{lei}/managing-lou"}},
        },
        "links": {"self": f"https://api.gleif.org/api/v1/lei-records/{lei}"},
    }


LEI_RECORDS = {
    LEI_ACME: lei_record(
        LEI_ACME,
        "ACME ROCKET SUPPLIES, INC.",
        {
            "lines": ["1200 Canyon Road", "Building 7"],
            "city": "Fresno",
            "region": "US-CA",
            "country": "US",
            "zip": "93721",
        },
        registered_as="C0806592",
    ),
    LEI_HARBOUR: lei_record(
        LEI_HARBOUR,
        "HARBOUR ROCKET WORKS LIMITED",
        {"lines": ["4 Dock Road"], "city": "Bristol", "region": "GB-BST", "country": "GB", "zip": "BS1 4DJ"},
        registered_as="08123456",
    ),
    LEI_RETIRED: lei_record(
        LEI_RETIRED,
        "ROCKET RETIRED HOLDINGS LLC",
        {"lines": ["9 Old Street"], "city": "Dover", "region": "US-DE", "country": "US", "zip": "19901"},
        status="INACTIVE",
    ),
}

WEBSITE_DOMAIN = "harbourlights.co.uk"
WEBSITE_HTML = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbour Lights | Lamps for boats</title>
<meta property="og:site_name" content="Harbour Lights">
<meta property="og:image" content="/static/banner.jpg">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Harbour Lights", "url": "https://www.harbourlights.co.uk/"},
  {"@type": "Organization", "name": "Harbour Lights", "legalName": "Harbour Lights Ltd",
   "url": "https://www.harbourlights.co.uk/", "logo": {"@type": "ImageObject", "url": "static/logo.png"},
   "email": "mailto:hello@harbourlights.co.uk", "telephone": "+44 117 496 0123", "vatID": "GB804231823",
   "address": {"@type": "PostalAddress", "streetAddress": "12 Quay Street", "addressLocality": "Bristol",
               "postalCode": "BS1 4DJ", "addressCountry": "GB"}}
]}
</script>
</head><body><h1>Harbour Lights</h1></body></html>
"""
OPENGRAPH_DOMAIN = "lanterne-bleue.fr"
OPENGRAPH_HTML = """<!DOCTYPE html>
<html lang="fr"><head>
<meta charset="utf-8">
<meta property="og:site_name" content="La Lanterne Bleue">
<meta property="og:email" content="contact@lanterne-bleue.fr">
<meta property="og:phone_number" content="+33 4 78 55 09 12">
<meta property="og:street-address" content="3 Rue Mercière">
<meta property="og:locality" content="Lyon">
<meta property="og:postal-code" content="69002">
<meta property="og:country-name" content="France">
</head><body></body></html>
"""
NAME_ONLY_DOMAIN = "just-a-name.com"
NAME_ONLY_HTML = '<html><head><meta property="og:site_name" content="Just A Name"></head><body></body></html>'


# The answers of the failure modes: (status, body, content type, headers).
FAILURE_ANSWERS = {
    "error": (500, '{"errors": [{"status": "500", "title": "Internal Server Error"}]}', "application/json", None),
    "ratelimit": (
        429,
        '{"errors": [{"status": "429", "title": "Too Many Requests"}]}',
        "application/json",
        {"Retry-After": "60"},
    ),
    "garbage": (200, "<html><body>Service Unavailable</body></html>", "text/html", None),
    "malformed": (200, '{"unexpected": true}', "application/json", None),
}


def png_logo(color=(31, 95, 139)):
    data = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(data, "PNG")
    return data.getvalue()


class FakeCompanyProviders(LocalServer):
    """VIES, GLEIF and company websites on 127.0.0.1, each in one of these modes:

    * ``ok``: answers as the provider does (and "not found" as it does);
    * ``hang``: answers nothing for ``hang_seconds``;
    * ``error``: HTTP 500 with the provider's error body;
    * ``ratelimit``: HTTP 429, as GLEIF (60 requests a minute) and proxies do;
    * ``garbage``: HTTP 200 with a body that is not JSON (an HTML error page);
    * ``malformed``: HTTP 200 with JSON of another shape;
    * VIES only: ``vies_unavailable`` (``MS_UNAVAILABLE``), ``vies_busy``
      (``MS_MAX_CONCURRENT_REQ``), both as VIES sends them: HTTP 200 with ``errorWrappers``.

    Paths: ``/vies/check-vat-number``, ``/gleif/lei-records[/<LEI>]``, ``/sites/<domain>/…``.
    """

    def __init__(self):
        self.mode = {"vies": "ok", "gleif": "ok", "sites": "ok"}
        self.hang_seconds = 12
        self.requests = []
        self.redirects = {}  # path -> Location
        self.pages = {
            f"/sites/{WEBSITE_DOMAIN}/": ("text/html; charset=utf-8", WEBSITE_HTML.encode()),
            f"/sites/{WEBSITE_DOMAIN}/static/logo.png": ("image/png", png_logo()),
            f"/sites/{OPENGRAPH_DOMAIN}/": ("text/html", OPENGRAPH_HTML.encode()),
            f"/sites/{NAME_ONLY_DOMAIN}/": ("text/html", NAME_ONLY_HTML.encode()),
        }
        providers = self

        class Handler(QuietHandler):
            def do_GET(self):
                self._handle(None)

            def do_POST(self):
                self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())

            def _handle(self, body):
                parts = urlsplit(self.path)
                provider = parts.path.strip("/").split("/")[0]
                providers.requests.append(
                    {
                        "provider": provider,
                        "method": self.command,
                        "path": parts.path,
                        "query": {key: values[0] for key, values in parse_qs(parts.query).items()},
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                mode = providers.mode.get(provider, "ok")
                if mode == "hang":
                    time.sleep(providers.hang_seconds)
                    return self._answer(200, "{}")
                if mode in FAILURE_ANSWERS:
                    return self._answer(*FAILURE_ANSWERS[mode])
                if provider == "vies":
                    return self._vies(body, mode)
                return self._gleif(parts) if provider == "gleif" else self._site(parts.path)

            def _vies(self, body, mode):
                if mode in ("vies_unavailable", "vies_busy"):
                    error = "MS_UNAVAILABLE" if mode == "vies_unavailable" else "MS_MAX_CONCURRENT_REQ"
                    return self._answer(200, json.dumps({"actionSucceed": False, "errorWrappers": [{"error": error}]}))
                request = json.loads(body)
                key = (request.get("countryCode"), request.get("vatNumber"))
                known = VIES_ANSWERS.get(key)
                answer = {
                    "countryCode": key[0],
                    "vatNumber": key[1],
                    "requestDate": "2025-05-06T10:33:42.361Z",
                    "valid": known is not None,
                    "requestIdentifier": "",
                    "name": known["name"] if known else "---",
                    "address": known["address"] if known else "---",
                    "traderName": "---",
                    "traderStreet": "---",
                    "traderPostalCode": "---",
                    "traderCity": "---",
                    "traderCompanyType": "---",
                    "traderNameMatch": "NOT_PROCESSED",
                    "traderStreetMatch": "NOT_PROCESSED",
                    "traderPostalCodeMatch": "NOT_PROCESSED",
                    "traderCityMatch": "NOT_PROCESSED",
                    "traderCompanyTypeMatch": "NOT_PROCESSED",
                }
                return self._answer(200, json.dumps(answer))

            def _gleif(self, parts):
                segments = parts.path.strip("/").split("/")
                if len(segments) == 3:
                    record = LEI_RECORDS.get(segments[2])
                    if not record:
                        return self._answer(
                            404,
                            json.dumps({"errors": [{"status": "404", "title": "Not Found"}]}),
                            "application/vnd.api+json",
                        )
                    return self._answer(200, json.dumps({"meta": {}, "data": record}), "application/vnd.api+json")
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                words = query.get("filter[fulltext]", "").lower().split()
                country = query.get("filter[entity.legalAddress.country]")
                records = [
                    record
                    for record in LEI_RECORDS.values()
                    if all(word in record["attributes"]["entity"]["legalName"]["name"].lower() for word in words)
                    and (not country or record["attributes"]["entity"]["legalAddress"]["country"] == country)
                ][: int(query.get("page[size]", 10))]
                document = {
                    "meta": {
                        "goldenCopy": {"publishDate": "2025-05-06T08:00:00Z"},
                        "pagination": {
                            "currentPage": 1,
                            "perPage": 10,
                            "from": 1,
                            "to": len(records),
                            "total": len(records),
                            "lastPage": 1,
                        },
                    },
                    "links": {"first": "https://api.gleif.org/api/v1/lei-records?page[number]=1"},
                    "data": records,
                }
                return self._answer(200, json.dumps(document), "application/vnd.api+json")

            def _site(self, path):
                if path in providers.redirects:
                    return self._answer(302, "", "text/html", headers={"Location": providers.redirects[path]})
                page = providers.pages.get(path)
                if not page:
                    return self._answer(404, "<html><body>Not Found</body></html>", "text/html")
                content_type, content = page
                return self._answer(200, content, content_type)

        super().__init__(Handler)

    def requests_to(self, provider):
        return [request for request in self.requests if request["provider"] == provider]


class AutocompleteMixin:
    """A local partner autocomplete account of the current company (the one the stock
    code pays with), with the sandbox engine and a directory entry, and helpers to call
    the stock API as the widget does."""

    @classmethod
    def _setup_autocomplete(cls):
        cls.service = cls.env.ref("partner_autocomplete.iap_service_partner_autocomplete")
        cls.service.credit_unit_price = 1.0
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        cls.sandbox = cls.env["iap.autocomplete.engine"].create({"name": "Test sandbox", "code": "sandbox"})
        cls.ac_account = cls.env["iap.account"].create(
            {
                "name": "Test partner autocomplete",
                "service_id": cls.service.id,
                "company_ids": [(6, 0, cls.company.ids)],
                "credit_mode": "local",
                "autocomplete_engine_ids": [(6, 0, cls.sandbox.ids)],
            }
        )
        cls.entry = cls.env["iap.autocomplete.directory"].create(
            {
                "name": "Quillfeather Stationers Inc.",
                "vat": "US12-3456789",
                "company_registry": "C1234567",
                "street": "77 Ink Lane",
                "street2": "Unit 4",
                "zip": "93721",
                "city": "Fresno",
                "state_id": cls.env.ref("base.state_us_5").id,
                "country_id": cls.env.ref("base.us").id,
                "website": "https://www.quillfeather-stationers.com",
                "email": "hello@quillfeather-stationers.com",
                "phone": "+1 559-555-0177",
                "logo": base64.b64encode(png_logo((120, 40, 40))),
            }
        )

    def _start_providers(self):
        providers = FakeCompanyProviders().start()
        self.addCleanup(providers.stop)
        return providers

    def _engine(self, code, providers=None, **values):
        urls = {
            "vies": {"vies_url": f"{providers.url}/vies"} if providers else {},
            "gleif": {"gleif_url": f"{providers.url}/gleif"} if providers else {},
            "website": {"website_url": f"{providers.url}/sites/{{domain}}/"} if providers else {},
        }.get(code, {})
        return self.env["iap.autocomplete.engine"].create(
            {"name": f"Test {code}", "code": code, "timeout": 1, **urls, **values}
        )

    def _use_engines(self, *engines):
        self.ac_account.autocomplete_engine_ids = [(6, 0, [engine.id for engine in engines])]

    def _kinds(self, account=None):
        account = account or self.ac_account
        return (account.transaction_ids - self.initial_rows).sorted("id").mapped("kind")

    def _search(self, query, country=False):
        """As the widget searches a name: ``autocomplete_by_name`` (``country`` 0 for worldwide)."""
        return self.env["res.partner"].autocomplete_by_name(query, country)

    def _pick(self, suggestion):
        """As the widget enriches a picked suggestion: ``enrich_by_duns``."""
        return self.env["res.partner"].enrich_by_duns(suggestion["duns"])


class AutocompleteCase(AutocompleteMixin, IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_autocomplete()
        cls.portal = new_test_user(cls.env, login="iap_autocomplete_portal", groups="base.group_portal")

    def setUp(self):
        super().setUp()
        self.ac_account._credits_grant(10, "Welcome")
        self.initial_rows = self.ac_account.transaction_ids

    def assertNothingCharged(self, balance=10):
        self.assertCredits(self.ac_account, balance)
        self.assertNotIn("capture", self._kinds(), "nothing was charged")
