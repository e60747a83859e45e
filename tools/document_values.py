# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Values printed on business documents (bills, receipts), read from their text.

Plain Python, no ORM, shared by the extractors of :mod:`.invoice_extract` and
:mod:`.receipt_extract`: the accent-free copy of a line that keeps character positions,
labels found on it (:func:`label_segments`), the language and currency of a document,
dates (``dateparser``) and amounts (``price-parser``), with the usual OCR slips undone.
"""

import datetime
import itertools
import re
import unicodedata
from collections import Counter

from .invoice_labels import CURRENCY_CODES, CURRENCY_SYMBOLS, LABELS, LANGUAGE_WORDS, LANGUAGES

AMOUNT_TOLERANCE = 0.011

# A printed amount: thousands separated by a dot, comma or apostrophe, two decimals...
AMOUNT_PATTERN = r"\d{1,3}(?:[.,'\u2019]\d{3})+[.,]\d{2}|\d+[.,]\d{2}"
# ...or thousands separated by a (narrow, no-break) space.
SPACED_AMOUNT_PATTERN = r"\d{1,3}(?:[ \u202f\u00a0]\d{3})+[.,]\d{2}"
_AMOUNT_RE = re.compile(rf"(?<![\d.,'\u2019])-?(?:{SPACED_AMOUNT_PATTERN}|{AMOUNT_PATTERN})(?![\d])")
_DATE_RES = [
    re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"),
    re.compile(r"(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"),
    re.compile(r"(?<!\d)\d{1,2}(?:st|nd|rd|th|er)?\.?\s+[^\W\d_]{3,}\.?,?\s+\d{4}(?!\d)"),
    re.compile(r"(?<![^\W\d_])[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}(?!\d)"),
]
PERCENT_RE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")


def compile_labels(labels):
    """The label patterns of ``labels`` (``{kind: [pattern, ...]}``), whole words only."""
    return [
        (kind, re.compile(rf"(?<![a-z]){pattern}(?![a-z])"))
        for kind, patterns in labels.items()
        for pattern in patterns
    ]


_LABEL_RES = compile_labels(LABELS)

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


# ------------------------------------------------------------
# LANGUAGE, CURRENCY
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


def close(first, second):
    return first is not None and second is not None and abs(first - second) < AMOUNT_TOLERANCE


def to_date(value):
    """A date from an ISO string or a date (for results coming back over JSON)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
