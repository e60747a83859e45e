# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fields of a vendor bill from its text (OCR or PDF text layer).

Plain Python, no ORM. The text is read line by line: labels in English, French and German
("Invoice No.", "Facture N°", "Rechnungsnummer", ...) are found on an accent-free,
lower-case copy of each line that keeps the character positions, and the value is read
from the original line right after the label, up to the next label. Dates are parsed by
``dateparser``, amounts by ``price-parser``, VAT numbers validated by ``python-stdnum``.
Amounts are then cross-checked (untaxed + tax = total, lines sum to the untaxed amount),
which corrects most OCR slips: a value is only returned when it is consistent or alone.
"""

import re

from .document_values import (
    AMOUNT_PATTERN,
    PERCENT_RE,
    SPACED_AMOUNT_PATTERN,
    all_dates,
    close,
    find_currency,
    guess_language,
    label_segments,
    last_amount,
    parse_amount,
)
from .invoice_labels import LANGUAGES
from .vat_numbers import find_vat_numbers

_CUR = r"(?:[A-Z]{3}|C\$|CA\$|US\$|[€£$¥])"
_ROW_RES = [
    re.compile(
        rf"^(?P<desc>.*?[A-Za-zÀ-ÿ].*?)\s+(?P<qty>\S+)\s+"
        rf"(?P<unit>(?:{_CUR}\s?)?(?:{num})(?:\s?{_CUR})?)\s+"
        rf"(?P<amount>(?:{_CUR}\s?)?(?:{num})(?:\s?{_CUR})?)\s*$"
    )
    for num in (AMOUNT_PATTERN, f"{SPACED_AMOUNT_PATTERN}|{AMOUNT_PATTERN}")
]
_NUMBER_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/_.]*")


def extract_invoice(text, exclude_vats=(), languages=None):
    """Read the fields of a vendor bill from its text.

    :param str text: the text of the document
    :param exclude_vats: VAT numbers that are not the vendor's (the company's own)
    :param languages: language codes to try first for dates (guessed when None)
    :return: a dict with the keys ``vendor_name``, ``vendor_vat``, ``invoice_number``,
        ``invoice_date``, ``due_date`` (:class:`datetime.date`), ``currency`` (ISO
        code), ``amount_untaxed``, ``amount_tax``, ``amount_total`` (floats),
        ``tax_rate`` (percent), ``lines`` (list of dicts with ``description``,
        ``quantity``, ``price_unit``, ``amount``) and ``language``; a value that was
        not found is ``None`` (``[]`` for lines)
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    language = guess_language(text)
    languages = list(languages or [language, *[code for code in LANGUAGES if code != language]])
    currency = find_currency(text)
    date_order = "MDY" if language == "en" and currency == "USD" else "DMY"
    segments = [segment for line in lines for segment in label_segments(line)]

    values = {
        "vendor_name": _vendor_name(lines),
        "vendor_vat": None,
        "invoice_number": None,
        "invoice_date": None,
        "due_date": None,
        "currency": currency,
        "amount_untaxed": None,
        "amount_tax": None,
        "amount_total": None,
        "tax_rate": None,
        "lines": [],
        "language": language,
    }
    vats = find_vat_numbers(text, exclude=exclude_vats)
    values["vendor_vat"] = vats[0] if vats else None

    candidates = {"untaxed": [], "tax": [], "total": []}
    for kind, value in segments:
        if kind == "number" and not values["invoice_number"]:
            values["invoice_number"] = _number_value(value)
        elif kind in ("date", "due") and not values[f"{'invoice' if kind == 'date' else 'due'}_date"]:
            date = _first_date(value, languages, date_order)
            if date:
                values["invoice_date" if kind == "date" else "due_date"] = date
        elif kind in candidates:
            amount = last_amount(value)
            if amount is not None:
                candidates[kind].append(amount)
            if kind == "tax" and values["tax_rate"] is None:
                rate = PERCENT_RE.search(value)
                if rate:
                    values["tax_rate"] = float(rate.group(1).replace(",", "."))
    if not values["invoice_date"]:
        # No label: the first date of the document is usually the bill's date.
        dates = [date for line in lines for date in all_dates(line, languages, date_order)]
        dates = [date for date in dates if date != values["due_date"]]
        values["invoice_date"] = dates[0] if dates else None
    if values["due_date"] and values["invoice_date"] and values["due_date"] < values["invoice_date"]:
        values["due_date"] = None

    rows = _table_rows(lines)
    untaxed, tax, total = _resolve_amounts(candidates, rows)
    values.update(amount_untaxed=untaxed, amount_tax=tax, amount_total=total)
    if rows and untaxed is not None and close(sum(row["amount"] for row in rows), untaxed):
        values["lines"] = rows
    return values


def _number_value(value):
    value = re.sub(r"^[\s:.#°º*\-]+", "", value)
    for raw in _NUMBER_TOKEN_RE.findall(value)[:2]:
        token = raw.rstrip("./-")
        if any(char.isdigit() for char in token) and len(token) >= 3:
            return token
    return None


def _first_date(value, languages, date_order):
    dates = all_dates(value, languages, date_order)
    return dates[0] if dates else None


# ------------------------------------------------------------
# AMOUNTS AND LINES
# ------------------------------------------------------------


def _resolve_amounts(candidates, rows):
    """Untaxed, tax and total, chosen so that they agree with each other when possible."""
    untaxed_list = list(candidates["untaxed"])
    if rows:
        untaxed_list.append(round(sum(row["amount"] for row in rows), 2))
    tax_list = list(candidates["tax"])
    if len(tax_list) > 1:
        tax_list.append(round(sum(candidates["tax"]), 2))  # one line per tax rate
    total_list = list(reversed(candidates["total"]))  # the last total is the one to pay
    for total in total_list:
        for untaxed in untaxed_list:
            for tax in tax_list:
                if close(round(untaxed + tax, 2), total):
                    return untaxed, tax, total
            if close(untaxed, total) and not tax_list:
                return untaxed, 0.0, total
    return _partial_amounts(untaxed_list, tax_list, total_list)


def _partial_amounts(untaxed_list, tax_list, total_list):
    """Amounts when no consistent triple was printed: derive the missing one, else keep what is sure."""
    if untaxed_list and tax_list and not total_list:
        return untaxed_list[0], tax_list[0], round(untaxed_list[0] + tax_list[0], 2)
    for total in total_list:
        for tax in tax_list:
            if not untaxed_list and tax < total:
                return round(total - tax, 2), tax, total
    total = total_list[0] if total_list else None
    untaxed = untaxed_list[0] if len(untaxed_list) == 1 else None
    tax = tax_list[0] if len(tax_list) == 1 else None
    return untaxed, tax, total


def _table_rows(lines):
    """Invoice lines: rows ending in quantity, unit price and amount that multiply out."""
    rows = []
    for line in lines:
        kinds = {kind for kind, _value in label_segments(line)}
        if kinds & {"untaxed", "tax", "total", "number", "date", "due", "header", "vat_id"}:
            continue
        row = _parse_row(line.strip())
        if row:
            rows.append(row)
    return rows


def _parse_row(line):
    for regex in _ROW_RES:
        match = regex.match(line)
        if not match:
            continue
        unit, amount = parse_amount(match.group("unit")), parse_amount(match.group("amount"))
        if unit is None or amount is None:
            continue
        quantity = _parse_quantity(match.group("qty"))
        if quantity is not None and close(round(quantity * unit, 2), amount):
            return _row(match.group("desc"), quantity, unit, amount)
        # OCR garbled the quantity (a "1" read as "l" or "A"): trust an integral ratio.
        if unit and quantity is None and amount / unit == round(amount / unit) and amount / unit < 10000:
            return _row(match.group("desc"), float(round(amount / unit)), unit, amount)
    return None


def _parse_quantity(raw):
    raw = raw.replace(",", ".")
    try:
        quantity = float(raw)
    except ValueError:
        return None
    return quantity if quantity > 0 else None


def _row(description, quantity, unit, amount):
    return {"description": description.strip(), "quantity": quantity, "price_unit": unit, "amount": amount}


def _vendor_name(lines):
    for line in lines[:5]:
        first = re.split(r"\s{3,}", line.strip())[0].strip()
        if sum(char.isalpha() for char in first) >= 3 and not any(kind for kind, _v in label_segments(first)):
            return first
    return None
