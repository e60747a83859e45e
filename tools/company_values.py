# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The shape of company data (see `company_data`): its keys, the cleaning of providers'
text values, and the references of suggestions.

Plain Python, testable without Odoo. Every function returns *company data*: a dict with
the keys of the stock partner autocomplete answers (``name``, ``vat``, ``street``,
``street2``, ``zip``, ``city``, ``country_code``, ``state_code``, ``state_name``,
``website``, ``phone``, ``email``, ``company_registry``, ``logo``), holding only the keys
that have a value; `res.partner._format_data_company` turns the codes into records.
"""

# Keys whose presence makes an enrichment worth its credit: a name alone is what the
# free suggestion already gave.
ENRICHING_KEYS = ("vat", "street", "city", "zip", "country_code", "phone", "email", "logo", "company_registry")
# The prefix of the references our suggestions carry in the stock ``duns`` key, so that
# the stock widget hands them back to ``enrich_by_duns``.
REFERENCE_PREFIX = "local"
MAX_KEY_LENGTH = 100
EMPTY_VALUES = {"", "---", "n/a", "N/A"}


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
