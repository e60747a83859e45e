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

import datetime
import itertools
import re
import unicodedata
from collections import Counter

AMOUNT_TOLERANCE = 0.011
LANGUAGES = ("en", "fr", "de")

# Label patterns on the normalised line (lower case, no accents), by field. The longest
# match wins where two overlap, so "total ht" is untaxed although "total" is a total.
LABELS = {
    "vat_id": [
        r"vat\s*(?:no|number|id|reg(?:istration)?\.?\s*no)\.?",
        r"tax\s*id",
        r"n[o°º*]\s*(?:de\s*)?tva(?:\s*intra(?:communautaire)?)?",
        r"tva\s*intra(?:communautaire)?",
        r"(?:ust|mwst)[\s.-]*id[\s.-]*(?:nr|nummer)?\.?",
        r"steuer[\s-]*nr\.?",
        r"siret|siren",
    ],
    "number": [
        r"invoice\s*(?:no|n[o°º]|number|num|nr|#)\.?",
        r"bill\s*(?:no|number|#)\.?",
        r"receipt\s*(?:no|number|#)\.?",
        r"facture\s*(?:n[o°º*]|numero|num|#)\.?",
        r"n[o°º*]\s*(?:de\s*)?facture",
        r"numero\s*de\s*(?:la\s*)?facture",
        r"rechnungs?[\s-]*(?:nummer|nr)\.?",
        r"beleg[\s-]*(?:nummer|nr)\.?",
    ],
    "date": [
        r"invoice\s*date",
        r"date\s*of\s*invoice",
        r"bill\s*date",
        r"issue\s*date|date\s*of\s*issue|issued\s*on",
        r"date\s*de\s*(?:la\s*)?factur(?:e|ation)",
        r"date\s*d.emission",
        r"rechnungsdatum",
        r"belegdatum",
        r"datum",
        r"date",
    ],
    "due": [
        r"due\s*date",
        r"payment\s*due(?:\s*date)?",
        r"due\s*(?:on|by)",
        r"pay(?:able)?\s*by",
        r"date\s*d.?\s*echeance",
        r"echeance",
        r"a\s*payer\s*avant\s*le",
        r"au\s*plus\s*tard\s*le",
        r"f[a]e?llig(?:keitsdatum|\s*am)?",
        r"fa?e?ll[a-z]?g\s*am",  # "Fallg am": OCR drops the i of a low-resolution "Fällig am"
        r"zahlbar\s*bis(?:\s*zum)?",
        r"zahlungsziel",
    ],
    "total": [
        r"total\s*(?:due|amount|payable|to\s*pay)",
        r"amount\s*(?:due|payable)",
        r"balance\s*due",
        r"grand\s*total",
        r"total\s*incl(?:\.|uding)?\s*(?:vat|tax)",
        r"total\s*ttc",
        r"montant\s*ttc",
        r"net\s*a\s*payer",
        r"total\s*a\s*payer",
        r"gesamt(?:betrag|summe)",
        r"rechnungs(?:betrag|summe)",
        r"(?:end|brutto)summe|summe\s*brutto|bruttobetrag|zu\s*zahlen",
        r"total",
        r"summe",
    ],
    "untaxed": [
        r"sub[\s-]*total",
        r"total\s*(?:excl(?:\.|uding)?\s*(?:vat|tax)|before\s*tax|net)",
        r"net\s*(?:amount|total)",
        r"untaxed\s*amount",
        r"total\s*h\.?\s*t\.?",
        r"montant\s*h\.?\s*t\.?",
        r"sous[\s-]*total",
        r"netto(?:betrag|summe)?|summe\s*netto|zwischensumme",
    ],
    "tax": [
        r"vat",
        r"sales\s*tax",
        r"gst|hst|pst|qst",
        r"tax(?:es)?",
        r"total\s*(?:vat|tax|tva)",
        r"t\.?v\.?a\.?",
        r"montant\s*tva",
        r"(?:zzgl\.?\s*)?(?:mwst|ust|mehrwertsteuer|umsatzsteuer)\.?",
    ],
    "header": [
        r"description|designation|bezeichnung|beschreibung|article|artikel|item",
    ],
}


def compile_labels(labels):
    """The label patterns of ``labels`` (``{kind: [pattern, ...]}``), whole words only."""
    return [
        (kind, re.compile(rf"(?<![a-z]){pattern}(?![a-z])"))
        for kind, patterns in labels.items()
        for pattern in patterns
    ]


_LABEL_RES = compile_labels(LABELS)

# Words that tell the language of a bill; only used to pick date orders and parsers.
LANGUAGE_WORDS = {
    "en": ("invoice", "total", "due", "date", "amount", "qty", "price", "subtotal", "bill"),
    "fr": ("facture", "tva", "montant", "echeance", "designation", "prix", "ttc", "qte"),
    "de": ("rechnung", "betrag", "mwst", "datum", "menge", "summe", "einzelpreis", "ust", "fallig"),
}

CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF")
CURRENCY_SYMBOLS = [("CA$", "CAD"), ("C$", "CAD"), ("A$", "AUD"), ("US$", "USD"), ("€", "EUR"), ("£", "GBP"),
                    ("¥", "JPY"), ("$", "USD")]  # fmt: skip

_NUM = r"\d{1,3}(?:[.,'\u2019]\d{3})+[.,]\d{2}|\d+[.,]\d{2}"
_NUM_SPACED = r"\d{1,3}(?:[ \u202f\u00a0]\d{3})+[.,]\d{2}"
_AMOUNT_RE = re.compile(rf"(?<![\d.,'\u2019])-?(?:{_NUM_SPACED}|{_NUM})(?![\d])")
_CUR = r"(?:[A-Z]{3}|C\$|CA\$|US\$|[€£$¥])"
_ROW_RES = [
    re.compile(
        rf"^(?P<desc>.*?[A-Za-zÀ-ÿ].*?)\s+(?P<qty>\S+)\s+"
        rf"(?P<unit>(?:{_CUR}\s?)?(?:{num})(?:\s?{_CUR})?)\s+"
        rf"(?P<amount>(?:{_CUR}\s?)?(?:{num})(?:\s?{_CUR})?)\s*$"
    )
    for num in (_NUM, f"{_NUM_SPACED}|{_NUM}")
]
_DATE_RES = [
    re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"),
    re.compile(r"(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"),
    re.compile(r"(?<!\d)\d{1,2}(?:st|nd|rd|th|er)?\.?\s+[^\W\d_]{3,}\.?,?\s+\d{4}(?!\d)"),
    re.compile(r"(?<![^\W\d_])[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}(?!\d)"),
]
_PERCENT_RE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")
_VAT_RE = re.compile(
    r"(?<![A-Z0-9])(CHE|AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI)"
    r"[\s.\-]?([0-9A-Z][0-9A-Z .\-]{6,20})"
)
_NUMBER_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/_.]*")


# Letters OCR puts for i that NFKD does not take apart (Turkish dotless i).
_LOOKALIKES = {"\u0131": "i"}


def normalize(text):
    """Lower case without accents, *keeping the length* so positions map to the original."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[:1].lower()[:1]
        base = _LOOKALIKES.get(base, base)
        out.append(base if base else char)
    return "".join(out)


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
                rate = _PERCENT_RE.search(value)
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


# ------------------------------------------------------------
# LANGUAGE, CURRENCY, VAT
# ------------------------------------------------------------


def guess_language(text):
    words = Counter(re.findall(r"[a-z]+", normalize(text or "")))
    scores = {code: sum(words[word] for word in keywords) for code, keywords in LANGUAGE_WORDS.items()}
    return max(LANGUAGES, key=lambda code: scores[code]) if any(scores.values()) else "en"


def find_currency(text):
    """The ISO code of the currency the bill is written in: the most frequent one seen."""
    text = text or ""
    counts = Counter()
    for code in CURRENCY_CODES:
        counts[code] += 2 * len(re.findall(rf"(?<![A-Z]){code}(?![A-Z])", text))
    rest = text
    for symbol, code in CURRENCY_SYMBOLS:
        found = rest.count(symbol)
        counts[code] += found
        rest = rest.replace(symbol, " ")
    if not counts or counts.most_common(1)[0][1] == 0:
        return None
    return counts.most_common(1)[0][0]


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


# ------------------------------------------------------------
# LABELS AND VALUES
# ------------------------------------------------------------


def label_segments(line, label_res=None):
    """The (label kind, text after the label up to the next label) pairs of a line.

    :param label_res: compiled labels (:func:`compile_labels`); the bill's by default
    """
    norm = normalize(line)
    matches = []
    for kind, regex in label_res or _LABEL_RES:
        matches.extend(
            (match.start(), -(match.end() - match.start()), match.end(), kind) for match in regex.finditer(norm)
        )
    matches.sort()
    chosen, end = [], -1
    for start, _length, stop, kind in matches:
        if start >= end:
            chosen.append((start, stop, kind))
            end = stop
    segments = []
    for index, (_start, stop, kind) in enumerate(chosen):
        until = chosen[index + 1][0] if index + 1 < len(chosen) else len(line)
        segments.append((kind, line[stop:until]))
    return segments


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


def all_dates(text, languages, date_order):
    found = []
    for regex in _DATE_RES:
        found.extend((match.start(), match.group(0)) for match in regex.finditer(text))
    found.sort()
    dates = []
    for _start, raw in found:
        date = parse_date(raw, languages, date_order)
        if date:
            dates.append(date)
    return dates


def parse_date(raw, languages=LANGUAGES, date_order="DMY"):
    """A date from its printed form, with ``dateparser``; ``None`` when not a plausible date.

    OCR of a low-resolution print reads a 0 as 8, 6 or 9 ("04-83-2025", "Mar 5, 2825"): a
    date that does not parse is read again with one of those digits as 0,
    and kept when exactly one such reading is a plausible date.
    """
    date = _parse_date(raw, languages, date_order)
    if date:
        return date
    return _unique(_parse_date(variant, languages, date_order) for variant in zero_variants(raw.strip(), most=1))


def zero_variants(text, most=2):
    """``text`` with one, then two, of its digits 8, 6 or 9 read as 0 (the usual OCR slips)."""
    positions = [index for index, char in enumerate(text) if char in "869"]
    for count in range(1, most + 1):
        for chosen in itertools.combinations(positions, count):
            yield "".join("0" if index in chosen else char for index, char in enumerate(text))


def _unique(results):
    found = {result for result in results if result is not None}
    return found.pop() if len(found) == 1 else None


def _parse_date(raw, languages, date_order):
    import dateparser

    raw = re.sub(r"(\d)(st|nd|rd|th|er)\b", r"\1", raw.strip())
    orders = [date_order, "MDY" if date_order == "DMY" else "DMY"] if re.match(r"^\d", raw) else [date_order]
    if re.match(r"^\d{4}", raw):
        orders = ["YMD"]
    for order in orders:
        parsed = dateparser.parse(
            raw,
            languages=list(languages),
            settings={"DATE_ORDER": order, "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first"},
        )
        if parsed and 1990 <= parsed.year <= 2100:
            return parsed.date()
    return None


def parse_amount(raw):
    """An amount from its printed form (any thousands and decimal separators), with ``price-parser``."""
    from price_parser import Price

    cleaned = re.sub(r"(?<=\d)['\u2019\u202f\u00a0 ](?=\d{3}\b)", "", raw)
    price = Price.fromstring(cleaned, decimal_separator="," if re.search(r",\d{2}(?!\d)", cleaned) else ".")
    return float(price.amount) if price.amount is not None else None


def last_amount(value):
    amounts = _AMOUNT_RE.findall(value)
    return parse_amount(amounts[-1]) if amounts else None


# ------------------------------------------------------------
# AMOUNTS AND LINES
# ------------------------------------------------------------


def close(first, second):
    return first is not None and second is not None and abs(first - second) < AMOUNT_TOLERANCE


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


def to_date(value):
    """A date from an ISO string or a date (for results coming back over JSON)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
