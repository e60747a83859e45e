# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Company data read from the registries: EU VAT numbers and VIES answers, GLEIF records,
and the postal addresses they give as lines. Plain Python, testable without Odoo."""

import re

from stdnum.eu import vat as eu_vat

from .company_values import clean, compact

# VIES member state codes that are not ISO 3166 country codes.
VIES_TO_ISO = {"EL": "GR", "XI": "GB"}
ISO_TO_VIES = {"GR": "EL"}
# "1367 Ramillies", "75002 PARIS", "1012 AB AMSTERDAM", "1000-001 LISBOA", "00184 ROMA RM"
ZIP_CITY_RE = re.compile(r"^(?P<zip>\d{3,5}(?:[- ]?\d{3,4}|\s?[A-Z]{2}(?=\s))?)\s+(?P<city>\S.*)$")
LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")


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
