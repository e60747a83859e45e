# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""VAT numbers printed on a document: found, repaired from OCR slips, validated.

Plain Python, no ORM. Checked with ``python-stdnum`` (check digits included).
"""

import re

from .document_values import normalize, zero_variants

_VAT_RE = re.compile(
    r"(?<![A-Z0-9])(CHE|AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI)"
    r"[\s.\-]?([0-9A-Z][0-9A-Z .\-]{6,20})"
)


def compact_vat(vat):
    """A VAT number without spaces, dots, dashes and the Swiss MWST/TVA/IVA suffix."""
    compact = re.sub(r"[^0-9A-Z]", "", (vat or "").upper())
    if compact.startswith("CHE"):
        compact = re.sub(r"(MWST|TVA|IVA)$", "", compact)
    return compact


def find_vat_numbers(text, exclude=()):
    """Valid VAT numbers printed on the document, in order, without ``exclude``.

    Each candidate is checked with ``python-stdnum`` (check digits included), after
    undoing the usual OCR slips (O for 0, I or l for 1) in its digits; failing that, with
    one 0 misread as 8, 6 or 9 (or the B of a Dutch number as 8), when exactly one such
    reading has valid check digits.
    """
    from stdnum import vatin

    excluded = {compact_vat(vat) for vat in exclude if vat}
    found = []
    for match in _VAT_RE.finditer((text or "").upper()):
        country = match.group(1)
        body = re.sub(r"[\s.\-]", "", match.group(2))
        for length in range(min(len(body), 14), 7, -1):
            candidate = body[:length]
            variants = [candidate, candidate.replace("O", "0").replace("I", "1").replace("L", "1")]
            if country == "CHE":
                variants += [f"{variant}MWST" for variant in variants]
            valid = next((variant for variant in variants if _vat_valid(vatin, country + variant)), None)
            if valid:
                vat = compact_vat(country + valid)
                if vat not in excluded and vat not in found:
                    found.append(vat)
                break
        else:
            if not _VAT_CONTEXT_RE.search(normalize(text[max(match.start() - 30, 0) : match.start()])):
                continue  # a repaired number must be labelled as a VAT number (not an IBAN, a phone)
            vat = _repaired_vat(vatin, country, body.replace("O", "0").replace("I", "1").replace("L", "1"))
            if vat and vat not in excluded and vat not in found:
                found.append(vat)
    return found


_VAT_CONTEXT_RE = re.compile(r"(?:vat|tva|btw|iva|mwst|ust|uid|tax)[^\n]*$")


def _repaired_vat(vatin, country, body):
    """The one valid VAT number that ``body`` is with a single OCR slip, or ``None``."""
    valid = set()
    for length in range(min(len(body), 14), 7, -1):
        candidate = body[:length]
        variants = set(zero_variants(candidate, most=1))
        if country == "NL" and len(candidate) >= 10 and candidate[9] == "8":
            variants.add(candidate[:9] + "B" + candidate[10:])
        if country == "CHE":
            variants |= {f"{variant}MWST" for variant in variants}
        valid |= {compact_vat(country + variant) for variant in variants if _vat_valid(vatin, country + variant)}
    return valid.pop() if len(valid) == 1 else None


def _vat_valid(vatin, number):
    try:
        return vatin.is_valid(number)
    except Exception:  # stdnum raises on countries it does not know
        return False
