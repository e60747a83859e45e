# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Destination numbers in E.164 — plain Python on top of `phone_validation`."""

import re
from functools import cache

import phonenumbers
from phonenumbers import PhoneMetadata

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools.phone_validation import phone_parse

# A number already written in E.164: "+", a country code, at most 15 digits in all.
E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}")
# The number types `phonenumbers` tells a valid number by (`_number_type_helper`), mobile last.
NUMBER_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip


def format_e164(number, country_code=None):
    """Check ``number`` and return it in E.164, or None when it is missing or invalid.

    :param str number: the number as typed (national or international form)
    :param str country_code: ISO code of the country to read a national number in
        (the contact's, else the company's)
    :return: ``"+32470123456"`` or None
    """
    number = (number or "").strip()
    if not number:
        return None
    if e164 := valid_e164(number):
        return e164
    try:
        parsed = phone_parse(number, (country_code or "").upper() or None)
    except UserError:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def valid_e164(number):
    """``number`` when it is already written in E.164 and valid; else None (then
    `format_e164` tells, with the full `phone_parse` and the country).

    Stock Odoo writes the numbers of the SMS it queues in E.164 already (`_phone_format`
    of the composer, the chatter and mass SMS), and the country does not matter for them.
    `phone_parse` parses, formats and parses again so that odd numbers go through the
    metadata patches of `phone_validation` (a Brazilian number without its ninth digit, a
    German one written +49 00…). For a number in E.164 the parse is only the split of the
    country code (country codes are prefix-free), done here directly, and the validity
    check is `_national_validity`'s, prepared once per country code and length: the check
    alone costs a fifth of `phone_parse`, which counts when a queue sends thousands of SMS.
    A number this check refuses, or whose national part starts with 0 (which a parse may
    read differently), gets the full `phone_parse`.
    """
    if not number or not E164_SHAPE.fullmatch(number):
        return None
    for length in (1, 2, 3):
        country_code = int(number[1 : 1 + length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = number[1 + length :]
    if not national or national[0] == "0":
        return None
    validity = _national_validity(country_code, len(national))
    if validity is None:  # a country code of several regions, or of none
        parsed = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
        valid = phonenumbers.is_possible_number(parsed) and phonenumbers.is_valid_number(parsed)
    else:
        valid = validity is not False and bool(validity.fullmatch(national))
    return number if valid else None


@cache
def _national_validity(country_code, length):
    """What `phonenumbers.is_possible_number` and `is_valid_number` answer for the national
    numbers of ``length`` digits of ``country_code``, as one test, prepared once.

    For a country code of one region, a number is possible by its length alone, and valid
    when it matches the region's general pattern and the pattern of one of its number types
    whose lengths allow it (`phonenumbers`' own `_number_type_helper`); the patterns are
    the library's metadata. The possibility is asked of `phonenumbers` itself, on a number
    of that length. `test_e164_short_check_agrees_with_phone_parse` checks the answers on
    every region's examples and altered copies of them.

    :return: False (no such number is valid), a compiled pattern that the valid national
        numbers match in full, or None for a country code of several regions or of none
        (the caller asks `phonenumbers`)
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) != 1 or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return None
    metadata = PhoneMetadata.metadata_for_region(regions[0])
    sample = phonenumbers.PhoneNumber(country_code=country_code, national_number=int("1" * length))
    if metadata is None or not phonenumbers.is_possible_number(sample):
        return False

    def pattern_of(desc):
        """The pattern of ``desc`` when a national number of ``length`` digits may match it."""
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and length not in desc.possible_length:
            return None
        return desc.national_number_pattern

    general = pattern_of(metadata.general_desc)
    types = [
        pattern
        for name in NUMBER_TYPES
        if not (name == "mobile" and metadata.same_mobile_and_fixed_line_pattern)
        if (pattern := pattern_of(getattr(metadata, name)))
    ]
    if general is None or not types:
        return False
    return re.compile(f"(?=(?:{general})\\Z)(?:{'|'.join(f'(?:{pattern})' for pattern in types)})")
