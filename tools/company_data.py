# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Company data of the partner autocomplete engines, read from what providers answer.

Plain Python, testable without Odoo. Every function returns *company data*: a dict with
the keys of the stock partner autocomplete answers (``name``, ``vat``, ``street``,
``street2``, ``zip``, ``city``, ``country_code``, ``state_code``, ``state_name``,
``website``, ``phone``, ``email``, ``company_registry``, ``logo``), holding only the keys
that have a value; `res.partner._format_data_company` turns the codes into records.
"""

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract
from stdnum.eu import vat as eu_vat

# Keys whose presence makes an enrichment worth its credit: a name alone is what the
# free suggestion already gave.
ENRICHING_KEYS = ("vat", "street", "city", "zip", "country_code", "phone", "email", "logo", "company_registry")
# The prefix of the references our suggestions carry in the stock ``duns`` key, so that
# the stock widget hands them back to ``enrich_by_duns``.
REFERENCE_PREFIX = "local"
MAX_KEY_LENGTH = 100
# VIES member state codes that are not ISO 3166 country codes.
VIES_TO_ISO = {"EL": "GR", "XI": "GB"}
ISO_TO_VIES = {"GR": "EL"}
# "1367 Ramillies", "75002 PARIS", "1012 AB AMSTERDAM", "1000-001 LISBOA", "00184 ROMA RM"
ZIP_CITY_RE = re.compile(r"^(?P<zip>\d{3,5}(?:[- ]?\d{3,4}|\s?[A-Z]{2}(?=\s))?)\s+(?P<city>\S.*)$")
LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
EMPTY_VALUES = {"", "---", "n/a", "N/A"}
# Schema.org types of the items that describe a company on its website.
ORGANIZATION_TYPES = {
    "Organization",
    "Corporation",
    "LocalBusiness",
    "OnlineBusiness",
    "OnlineStore",
    "Store",
    "ProfessionalService",
    "NGO",
    "EducationalOrganization",
    "MedicalOrganization",
    "SportsOrganization",
    "NewsMediaOrganization",
    "Airline",
}


def clean(value, max_length=256):
    """A provider's text value, stripped, or None when empty or a placeholder (``---``)."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if value in EMPTY_VALUES:
        return None
    return value[:max_length]


def compact(data):
    """``data`` without its empty values."""
    return {key: value for key, value in data.items() if value not in (None, False, "", [], {})}


def has_enrichment(data):
    """Whether company data carries more than a name: what a credit pays for."""
    return bool(data) and any(data.get(key) for key in ENRICHING_KEYS)


# ------------------------------------------------------------
# References: the engine and the provider's key of a suggestion
# ------------------------------------------------------------


def make_reference(engine_id, key):
    """The reference of a suggestion, as kept in the ``duns`` key of the stock widget."""
    return f"{REFERENCE_PREFIX}:{int(engine_id)}:{key}"


def parse_reference(reference):
    """:return: ``(engine id, key)``, or None when ``reference`` is not one of ours"""
    if not isinstance(reference, str) or len(reference) > MAX_KEY_LENGTH + 30:
        return None
    prefix, _sep, rest = reference.partition(":")
    engine_id, _sep, key = rest.partition(":")
    if prefix != REFERENCE_PREFIX or not engine_id.isdigit() or not key or len(key) > MAX_KEY_LENGTH:
        return None
    return int(engine_id), key


# ------------------------------------------------------------
# VAT numbers and VIES
# ------------------------------------------------------------


def split_eu_vat(vat, country_code=None):
    """The VIES member state and number of an EU VAT number, checked by its check digits.

    :param str vat: as typed, with or without its country prefix (``BE 0477.472.701``)
    :param str country_code: ISO code of the country to assume when ``vat`` has no prefix
    :return: ``(member state, number)`` as VIES wants them (``("EL", "094259216")``), or
        None when the number is not a valid EU VAT number: nothing to ask VIES
    """
    if not isinstance(vat, str) or len(vat) > 40:
        return None
    known = {state.upper() for state in eu_vat.MEMBER_STATES} | {"EL"}
    candidates = [vat]
    if isinstance(country_code, str) and country_code.upper() in known | {"GR"}:
        candidates.append(country_code.upper() + vat)
    for candidate in candidates:
        try:
            number = eu_vat.compact(candidate)
        except Exception:
            continue
        prefix = number[:2].upper()
        if prefix in known and eu_vat.is_valid(number):
            return ISO_TO_VIES.get(prefix, prefix), number[2:]
    return None


def parse_postal_address(text):
    """Street, street2, zip and city of a postal address given as lines (VIES, GLEIF).

    The line holding the zip and the city is the last one that starts with a postal
    code; the first line is the street, the lines between are street2.

    :return: company data with ``street``, ``street2``, ``zip``, ``city``
    """
    lines = [line for line in (clean(part) for part in (text or "").splitlines()) if line]
    if not lines:
        return {}
    zip_index = next((i for i in range(len(lines) - 1, 0, -1) if ZIP_CITY_RE.match(lines[i])), None)
    if zip_index is None:
        # No postal code: the last line is the city (e.g. Irish addresses).
        street_lines, zip_code, city = lines[:-1], None, lines[-1] if len(lines) > 1 else None
        if len(lines) == 1:
            street_lines = lines
    else:
        match = ZIP_CITY_RE.match(lines[zip_index])
        street_lines, zip_code, city = lines[:zip_index], match["zip"], match["city"]
    return compact(
        {
            "street": street_lines[0] if street_lines else None,
            "street2": ", ".join(street_lines[1:]) or None,
            "zip": zip_code,
            "city": city,
        }
    )


def vies_company(answer, country_code, number):
    """Company data from a VIES answer about a valid number, or {} when it names none.

    :param dict answer: the JSON of ``check-vat-number``
    """
    name = clean(answer.get("name"))
    if not answer.get("valid") or not name:
        return {}
    address = answer.get("address") if isinstance(answer.get("address"), str) else ""
    return compact(
        {
            "name": name,
            "vat": f"{country_code}{number}",
            "country_code": VIES_TO_ISO.get(country_code, country_code),
            **parse_postal_address(address),
        }
    )


# ------------------------------------------------------------
# GLEIF
# ------------------------------------------------------------


def gleif_company(record):
    """Company data of a GLEIF LEI record (JSON:API resource ``lei-records``).

    :return: company data with ``lei``, or None when the record has not the expected shape
    """
    if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict):
        return None
    attributes = record["attributes"]
    entity = attributes.get("entity")
    lei = attributes.get("lei") or record.get("id")
    if not isinstance(entity, dict) or not isinstance(lei, str) or not LEI_RE.match(lei):
        return None
    name = clean((entity.get("legalName") or {}).get("name")) if isinstance(entity.get("legalName"), dict) else None
    if not name:
        return None
    address = entity.get("legalAddress") if isinstance(entity.get("legalAddress"), dict) else {}
    lines = [clean(line) for line in address.get("addressLines") or [] if clean(line)]
    country = clean(address.get("country"), 2)
    region = clean(address.get("region"), 10) or ""
    state_code = region.split("-", 1)[1] if country and region.startswith(f"{country}-") else None
    return compact(
        {
            "lei": lei,
            "name": name,
            "street": lines[0] if lines else None,
            "street2": ", ".join(lines[1:]) or None,
            "zip": clean(address.get("postalCode"), 20),
            "city": clean(address.get("city")),
            "country_code": country,
            "state_code": state_code,
            "company_registry": clean(entity.get("registeredAs"), 64),
            "status": entity.get("status"),
        }
    )


# ------------------------------------------------------------
# Domains and websites
# ------------------------------------------------------------


@lru_cache(maxsize=1)
def _domain_extractor():
    # The Public Suffix List snapshot shipped with tldextract: never downloaded, never cached on disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def registrable_domain(value):
    """The domain a company registered, from a URL, an email address or a host name.

    ``https://www.info.proximus.be/faq`` → ``proximus.be``; None for IP addresses, hosts
    without a public suffix (``localhost``, ``intranet.local``) and invalid values.
    """
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if not value or len(value) > 253 or any(char.isspace() for char in value):
        return None
    if "@" in value and "://" not in value:
        value = value.rsplit("@", 1)[1]
    if "://" not in value:
        value = f"http://{value}"
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return None
    if not host:
        return None
    domain = _domain_extractor()(host).top_domain_under_public_suffix
    return domain or None


def is_http_url(url):
    """Whether ``url`` is an absolute http(s) URL with a host (and a valid port)."""
    try:
        parts = urlsplit(url)
        valid_port = parts.port is None or parts.port > 0  # .port raises ValueError when out of range
    except (ValueError, TypeError):
        return False
    return valid_port and parts.scheme in ("http", "https") and bool(parts.hostname)


def is_public_address(address):
    """Whether an IP address is on the public internet (not loopback, private, link-local…)."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def resolve_public_host(host, port):
    """Resolve ``host`` and check that every one of its addresses is public.

    A company's website is fetched by its domain, which users type: it must never make
    this server call itself or its local network.

    :return: the addresses
    :raise ValueError: when ``host`` has an address that is not public
    :raise OSError: when ``host`` cannot be resolved
    """
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise ValueError(f"{host} is not a public internet host")
    return addresses


def _first(value):
    if isinstance(value, list):
        return next((item for item in value if item), None)
    return value


def _text(value, max_length=256):
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("url")
    return clean(value, max_length) if isinstance(value, str) else None


def _types(item):
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return {value.rsplit("/", 1)[-1] for value in types if isinstance(value, str)}


def _walk_items(items):
    """Every item of extruct's uniform output, and the items nested in @graph."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        yield from _walk_items(item.get("@graph"))


def _image_url(value):
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or value.get("@id")
    value = _first(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _address(value):
    value = _first(value)
    if isinstance(value, str):
        return parse_postal_address(value.replace(",", "\n"))
    if not isinstance(value, dict):
        return {}
    country = value.get("addressCountry")
    country = country.get("name") or country.get("identifier") if isinstance(country, dict) else country
    country = clean(country, 64) if isinstance(country, str) else None
    return compact(
        {
            "street": _text(value.get("streetAddress")),
            "zip": _text(value.get("postalCode"), 20),
            "city": _text(value.get("addressLocality")),
            "state_name": _text(value.get("addressRegion"), 64),
            "country_code": country if country and len(country) == 2 else None,
            "country_name": country if country and len(country) > 2 else None,
        }
    )


def website_company(metadata):
    """Company data of a website, from what extruct read of its home page.

    The first schema.org organization (JSON-LD, then microdata) gives the name, legal name,
    address, phone, email, VAT number and logo; OpenGraph fills in the name and logo.

    :param dict metadata: ``extruct.extract(..., uniform=True)`` with the syntaxes
        ``json-ld``, ``microdata`` and ``opengraph``
    :return: company data, with ``logo_url`` instead of ``logo``
    """
    organization = next(
        (
            item
            for syntax in ("json-ld", "microdata")
            for item in _walk_items(metadata.get(syntax))
            if _types(item) & ORGANIZATION_TYPES
        ),
        {},
    )
    opengraph = next((item for item in metadata.get("opengraph") or [] if isinstance(item, dict)), {})
    email = _text(organization.get("email")) or _text(opengraph.get("og:email"))
    data = {
        "name": _text(organization.get("legalName"))
        or _text(organization.get("name"))
        or _text(opengraph.get("og:site_name")),
        "phone": _text(organization.get("telephone"), 64) or _text(opengraph.get("og:phone_number"), 64),
        "email": email.removeprefix("mailto:") if email and "@" in email else None,
        "vat": _text(organization.get("vatID"), 32) or _text(organization.get("taxID"), 32),
        "logo_url": _image_url(organization.get("logo")) or _image_url(opengraph.get("og:logo")),
        **_address(organization.get("address")),
    }
    if not data.get("street") and opengraph:
        data.update(
            compact(
                {
                    "street": _text(opengraph.get("og:street-address")),
                    "zip": _text(opengraph.get("og:postal-code"), 20),
                    "city": _text(opengraph.get("og:locality")),
                    "country_name": _text(opengraph.get("og:country-name"), 64),
                }
            )
        )
    return compact(data)
