# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Company data read from websites: registrable domains, which hosts may be fetched (public
addresses only), and the schema.org items of a company's pages. Plain Python, testable
without Odoo."""

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from .company_registries import parse_postal_address
from .company_values import clean, compact

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
