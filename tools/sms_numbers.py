# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Destination numbers in E.164 — plain Python on top of `phone_validation`."""

import phonenumbers

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools.phone_validation import phone_parse


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
    try:
        parsed = phone_parse(number, (country_code or "").upper() or None)
    except UserError:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
