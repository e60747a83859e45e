# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Company data of the partner autocomplete engines, read from what providers answer: the
names of its three modules, in one namespace for the engines (and their tests).

Plain Python, testable without Odoo. Every function returns *company data*: a dict with
the keys of the stock partner autocomplete answers (``name``, ``vat``, ``street``,
``street2``, ``zip``, ``city``, ``country_code``, ``state_code``, ``state_name``,
``website``, ``phone``, ``email``, ``company_registry``, ``logo``), holding only the keys
that have a value; `res.partner._format_data_company` turns the codes into records.

- ``company_values``: the keys, cleaning, and the references of suggestions;
- ``company_registries``: EU VAT numbers and VIES, GLEIF, postal addresses;
- ``company_website``: domains, public hosts, the schema.org items of a website.
"""

from .company_registries import (
    ISO_TO_VIES,
    LEI_RE,
    VIES_TO_ISO,
    ZIP_CITY_RE,
    gleif_company,
    parse_postal_address,
    split_eu_vat,
    vies_company,
)
from .company_values import (
    EMPTY_VALUES,
    ENRICHING_KEYS,
    MAX_KEY_LENGTH,
    REFERENCE_PREFIX,
    clean,
    compact,
    has_enrichment,
    make_reference,
    parse_reference,
)
from .company_website import (
    ORGANIZATION_TYPES,
    is_http_url,
    is_public_address,
    registrable_domain,
    resolve_public_host,
    website_company,
)

__all__ = [
    "EMPTY_VALUES",
    "ENRICHING_KEYS",
    "ISO_TO_VIES",
    "LEI_RE",
    "MAX_KEY_LENGTH",
    "ORGANIZATION_TYPES",
    "REFERENCE_PREFIX",
    "VIES_TO_ISO",
    "ZIP_CITY_RE",
    "clean",
    "compact",
    "gleif_company",
    "has_enrichment",
    "is_http_url",
    "is_public_address",
    "make_reference",
    "parse_postal_address",
    "parse_reference",
    "registrable_domain",
    "resolve_public_host",
    "split_eu_vat",
    "vies_company",
    "website_company",
]
