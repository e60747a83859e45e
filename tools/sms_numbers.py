# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Destination numbers in E.164 — plain Python on top of `phone_validation`."""

import re

import phonenumbers

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools.phone_validation import phone_parse

# A number already written in E.164: "+", a country code, at most 15 digits in all.
E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}")


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
    country code (country codes are prefix-free), done here directly: the validity check
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
    parsed = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        return None
    return number
