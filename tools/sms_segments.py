# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""How many SMS segments a text takes, and what it costs — plain Python, no ORM.

An SMS is sent in the GSM 03.38 7-bit alphabet when every character of the text
belongs to it, in UCS-2 otherwise. A single SMS holds 160 GSM-7 septets or 70 UCS-2
units; a longer text is split into parts of 153 septets or 67 units (the rest of each
part carries the concatenation header). Characters of the GSM-7 extension table take
two septets (escape + character), characters outside the Basic Multilingual Plane take
two UCS-2 units (a surrogate pair), and neither is ever split across two parts.
"""

GSM7 = "gsm7"
UCS2 = "ucs2"

# Units per single SMS and per part of a multipart SMS.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def sms_encoding(text):
    """:return: ``"gsm7"`` when the whole text fits the GSM-7 alphabet, else ``"ucs2"``."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text or ""):
        return GSM7
    return UCS2


def _char_units(char, encoding):
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def sms_length(text):
    """:return: the length of ``text`` in its encoding's units (septets or UCS-2 units)."""
    encoding = sms_encoding(text)
    return sum(_char_units(char, encoding) for char in text or "")


def sms_segments(text):
    """Number of SMS a text is sent as; an empty text still takes one SMS.

    :param str text: the body of the SMS
    :return: the number of segments (parts) of the message
    :rtype: int
    """
    text = text or ""
    encoding = sms_encoding(text)
    single, part = LIMITS[encoding]
    units = [_char_units(char, encoding) for char in text]
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > part:  # a character never straddles two parts
            segments += 1
            used = 0
        used += size
    return segments


def sms_rate(number, unit_price, country_rates=None):
    """Credits per segment for ``number``: the longest matching prefix of ``country_rates``.

    :param str number: destination in E.164 (``+32470123456``)
    :param float unit_price: the service's credits per segment, used when no prefix matches
    :param dict country_rates: ``{prefix: credits per segment}``, prefixes like ``"+32"``
    """
    best = None
    for prefix in country_rates or {}:
        if number and number.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return country_rates[best] if best is not None else unit_price


def sms_price(text, number, unit_price, country_rates=None):
    """Credits charged for sending ``text`` to ``number``: segments times the rate of the destination."""
    return sms_segments(text) * sms_rate(number, unit_price, country_rates)
