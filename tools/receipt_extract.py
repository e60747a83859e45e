# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Fields of a till receipt from its text (OCR of a photo, or a PDF's text layer).

Plain Python, no ORM. A receipt prints its prices taxes included, then a block of totals
that is easy to misread: a subtotal, one tax line per rate, the total, what was tendered
(card, cash) and the change, sometimes a balance of zero, sometimes several of them on
one line. Each amount of that block is read after its label (labels in English, French
and German, on the accent-free copy of the line, as for bills: see
:mod:`.document_values`), and the total is the one the others agree with:
untaxed + taxes, the card payment, or the cash given less the change.
"""

import re
from collections import Counter

from . import document_values, vat_numbers
from .document_values import close
from .invoice_labels import LABELS, LANGUAGES

RECEIPT_LABELS = {
    "vat_id": LABELS["vat_id"],
    "date": [r"date", r"datum", r"le"],
    "untaxed": [
        r"sub[\s-]*total",
        r"sous[\s-]*total",
        r"total\s*h\.?\s*t\.?",
        r"montant\s*h\.?\s*t\.?",
        r"net(?:to)?(?:\s*(?:amount|total|betrag|summe))?",
        r"zwischensumme",
        r"total\s*(?:excl(?:\.|uding)?\s*(?:vat|tax)|before\s*tax|net)",
    ],
    "tax": [
        r"vat",
        r"sales\s*tax",
        r"gst|hst|pst|qst",
        r"tax(?:es)?",
        r"total\s*(?:vat|tax|tva)",
        r"t\.?v\.?a\.?",
        r"(?:mwst|ust|mehrwertsteuer|umsatzsteuer)\.?",
    ],
    "total": [
        r"total(?:\s*(?:ttc|due|eur|gbp|usd|chf|cad|amount|to\s*pay|a\s*payer))?",
        r"grand\s*total",
        r"amount\s*due",
        r"montant(?:\s*ttc)?",
        r"net\s*a\s*payer|a\s*payer",
        r"summe|gesamt(?:betrag|summe)?|endsumme|zu\s*zahlen|betrag",
    ],
    "tender": [
        r"card|credit\s*card|debit|visa|mastercard|amex|contactless",
        r"cash|paid|tendered",
        r"especes|carte(?:\s*bancaire)?|cb|paye",
        r"bar|gegeben|ec[\s-]*karte|karte|kreditkarte",
    ],
    "change": [r"change|rendu(?:\s*monnaie)?|monnaie|ruckgeld|wechselgeld"],
    "balance": [r"balance(?:\s*due)?|solde|restbetrag"],
}
_RECEIPT_LABEL_RES = document_values.compile_labels(RECEIPT_LABELS)
# Tendered as cash: the total is what was given less the change.
_CASH_RE = re.compile(r"(?<![a-z])(?:cash|especes|bar|gegeben|tendered)(?![a-z])")

# Words that tell what was bought, on the accent-free lower-case text; the merchant's own
# line counts three times. The expense categories (products) are chosen from these.
CATEGORY_WORDS = {
    "meal": (
        "restaurant", "cafe", "coffee", "bistro", "bistrot", "brasserie", "pub", "bar", "diner", "pizzeria",
        "grill", "bakery", "baeckerei", "backerei", "boulangerie", "menu", "lunch", "dinner", "breakfast", "dejeuner",
        "repas", "croissant", "sandwich", "kaffee", "speisen", "getranke", "vin", "wine", "beer", "bier",
        "food", "meal", "plat", "brezel", "brot", "pudding", "chips", "tea", "water", "eau", "jus",
    ),
    "travel": (
        "hotel", "taxi", "uber", "railway", "rail", "train", "sncf", "bahn", "airline", "flight", "airport",
        "parking", "fuel", "petrol", "tankstelle", "benzin", "bleifrei", "diesel", "essence", "carburant",
        "gazole", "toll", "peage", "fahrt", "room", "nights", "nuit", "nuits", "zimmer", "return", "seat",
        "station", "motel", "car", "rental",
    ),
    "communication": (
        "post", "poste", "postage", "stamps", "timbres", "briefmarken", "telecom", "phone", "mobile",
        "internet", "recommande", "envoi", "enveloppe", "envelope", "courier", "colis", "paket",
    ),
    "gift": ("gift", "gifts", "cadeau", "geschenk", "flowers", "florist", "bloemen", "fleurs", "blumen", "bouquet",
             "tulips", "wrapping", "fleuriste"),
}  # fmt: skip
CATEGORIES = tuple(CATEGORY_WORDS)
# Lines at the top of a receipt that are not the merchant's name.
_NOT_MERCHANT = re.compile(
    r"^(?:receipt|ticket|invoice|facture|quittung|beleg|kassenbon|rechnung|welcome|bienvenue|willkommen|"
    r"tax\s*invoice|duplicata|copy|copie)\b"
)


def extract_receipt(text, exclude_vats=()):
    """Read the fields of a till receipt from its text.

    :param str text: the text of the document
    :param exclude_vats: VAT numbers that are not the merchant's (the company's own)
    :return: a dict with ``vendor_name`` (the merchant as printed), ``vendor_vat``,
        ``date`` (:class:`datetime.date`), ``currency`` (ISO code), ``amount_total``,
        ``amount_untaxed``, ``amount_tax`` (floats), ``tax_rate`` (percent, when one rate),
        ``category`` (one of :data:`CATEGORIES`) and ``language``; a value that was not found
        is ``None``
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    language = document_values.guess_language(text)
    languages = [language, *[code for code in LANGUAGES if code != language]]
    currency = document_values.find_currency(text)
    date_order = "MDY" if currency == "USD" else "DMY"
    vats = vat_numbers.find_vat_numbers(text, exclude=exclude_vats)
    merchant = _merchant(lines)
    values = {
        "vendor_name": merchant,
        "vendor_vat": vats[0] if vats else None,
        "date": _date(lines, languages, date_order),
        "currency": currency,
        "amount_total": None,
        "amount_untaxed": None,
        "amount_tax": None,
        "tax_rate": None,
        "category": guess_category(text, merchant),
        "language": language,
    }
    amounts = _labelled_amounts(lines)
    values.update(_resolve(amounts))
    rates = amounts["rates"]
    if len(set(rates)) == 1:
        values["tax_rate"] = rates[0]
    elif not rates and values["amount_tax"] == 0:
        values["tax_rate"] = 0.0
    return values


# ------------------------------------------------------------
# MERCHANT, DATE, CATEGORY
# ------------------------------------------------------------


def _merchant(lines):
    """The merchant: the first line at the top that reads as a name (letters, no label)."""
    for line in lines[:6]:
        candidate = re.split(r"\s{3,}", line.strip())[0]
        candidate = re.sub(r"^[^\w]+|[^\w)]+$", "", candidate).strip()
        letters = sum(char.isalpha() for char in candidate)
        visible = sum(not char.isspace() for char in candidate)
        if letters < 3 or letters < 0.7 * visible:
            continue
        norm = document_values.normalize(candidate)
        if _NOT_MERCHANT.match(norm) or document_values.label_segments(candidate, _RECEIPT_LABEL_RES):
            continue
        if not re.search(r"[a-z]{3}", norm):  # a few letters scattered by noise
            continue
        return " ".join(candidate.split())
    return None


def _date(lines, languages, date_order):
    for line in lines:
        for kind, value in document_values.label_segments(line, _RECEIPT_LABEL_RES):
            if kind == "date":
                dates = document_values.all_dates(value, languages, date_order)
                if dates:
                    return dates[0]
    dates = [date for line in lines for date in document_values.all_dates(line, languages, date_order)]
    return dates[0] if dates else None


def guess_category(text, merchant=None):
    """What the receipt is for: ``meal``, ``travel``, ``communication`` or ``gift``, or
    ``None`` when no word of :data:`CATEGORY_WORDS` is printed (or two tie)."""
    words = Counter(re.findall(r"[a-z]+", document_values.normalize(text or "")))
    merchant_words = Counter(re.findall(r"[a-z]+", document_values.normalize(merchant or "")))
    scores = {
        category: sum(words[word] + 2 * merchant_words[word] for word in keywords)
        for category, keywords in CATEGORY_WORDS.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked[0][1] or ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


# ------------------------------------------------------------
# AMOUNTS
# ------------------------------------------------------------


def _labelled_amounts(lines):
    """The amounts of the receipt, by label: lists of floats per kind, the tax rates, and the
    items (the amounts ending the unlabelled lines above the first total)."""
    found = {kind: [] for kind in ("untaxed", "tax", "total", "card", "cash", "change", "balance", "items")}
    found["rates"] = []
    in_items = True
    for line in lines:
        segments = document_values.label_segments(line, _RECEIPT_LABEL_RES)
        kinds = {kind for kind, _value in segments}
        if kinds & {"untaxed", "tax", "total", "tender", "change", "balance"}:
            in_items = False
        elif in_items and not kinds:
            amount = document_values.last_amount(line)
            if amount is not None and re.search(r"[^\W\d_]{2}", line):  # a description, then its price
                found["items"].append(amount)
        for kind, value in segments:
            if kind not in ("untaxed", "tax", "total", "tender", "change", "balance"):
                continue
            # "TVA 10% 3,62": the rate is not the amount.
            rate = document_values.PERCENT_RE.search(value)
            amount = document_values.last_amount(document_values.PERCENT_RE.sub(" ", value))
            if kind == "tax" and rate:
                found["rates"].append(float(rate.group(1).replace(",", ".")))
            if amount is None:
                continue
            if kind == "tender":
                cash = _CASH_RE.search(document_values.normalize(line))
                found["cash" if cash else "card"].append(amount)
            else:
                found[kind].append(amount)
    return found


def amount_variants(amount):
    """``amount`` with one of its digits 8, 6 or 9 read as 0: what OCR makes of a faded 0."""
    return {float(variant) for variant in document_values.zero_variants(f"{amount:.2f}", most=1)}


def _resolve(found):
    """Total, untaxed and tax: the combination the printed amounts agree on best.

    A till prints the total several times over: labelled TOTAL, as the card payment, as the
    cash given less the change, as the sum of the items, as the subtotal plus the taxes.
    Each candidate total (those amounts, and the labelled ones with a 0 misread as 8, 6 or
    9) scores by how many of these agree with it; a subtotal taken for the total agrees
    with none of them. The tax is then the tax line (or the sum of the rates' lines) that
    agrees with the total and its rate.
    """
    totals = [amount for amount in found["total"] if amount]
    cash_given = set(found["cash"])
    # The cash given is a "total" on some tills ("TOTAL 20.00" then "Change"): not the total.
    totals = [amount for amount in totals if amount not in cash_given or not found["change"]] or totals
    tax_lines = found["tax"]
    taxes = set(tax_lines) | ({round(sum(tax_lines), 2)} if len(tax_lines) > 1 else set())
    untaxed_list = found["untaxed"]
    sources = {
        "total": (3, set(totals)),
        "card": (2, {amount for amount in found["card"] if amount}),
        "cash": (2, {round(c - r, 2) for c in found["cash"] for r in found["change"] if c - r > 0}),
        "items": (2, {round(sum(found["items"]), 2)} if len(found["items"]) > 1 else set(found["items"])),
        "sum": (2, {round(u + t, 2) for u in untaxed_list for t in taxes}),
    }
    rate = found["rates"][0] if len(set(found["rates"])) == 1 else None
    candidates = set()
    for _weight, amounts in sources.values():
        candidates |= amounts
    for amount in [*totals, *found["card"]]:
        candidates |= amount_variants(amount)
    candidates = {amount for amount in candidates if amount > 0}
    if not candidates:
        return {
            "amount_total": None,
            "amount_untaxed": untaxed_list[0] if len(untaxed_list) == 1 else None,
            "amount_tax": tax_lines[-1] if len(tax_lines) == 1 else (round(sum(tax_lines), 2) if tax_lines else None),
        }

    def score(total):
        points = 0
        for name, (weight, amounts) in sources.items():
            if any(close(total, amount) for amount in amounts):
                points += weight
            elif name in ("total", "card") and any(
                close(total, variant) for amount in amounts for variant in amount_variants(amount)
            ):
                points += 1  # read with a slip
        if rate is not None and any(abs(round(total - total / (1 + rate / 100), 2) - tax) <= 0.011 for tax in taxes):
            points += 2  # the tax line is this total's tax at the printed rate
        return points

    total = max(sorted(candidates, reverse=True), key=score)
    if score(total) < 2:
        return {"amount_total": None, "amount_untaxed": None, "amount_tax": None}
    tax = _tax_of(total, tax_lines, untaxed_list, found["rates"])
    untaxed = round(total - tax, 2) if tax is not None else None
    return {"amount_total": total, "amount_untaxed": untaxed, "amount_tax": tax}


def _tax_of(total, tax_lines, untaxed_list, rates):
    """The tax included in ``total``: the printed one that agrees with it, else derived."""
    expected = None
    if len(set(rates)) == 1:
        rate = rates[0]
        expected = round(total - total / (1 + rate / 100), 2)
    readings = set(tax_lines) | ({round(sum(tax_lines), 2)} if len(tax_lines) > 1 else set())
    candidates = set(readings)
    for amount in readings:
        candidates |= amount_variants(amount)

    def score(tax):
        points = 2 if tax in readings else 0
        if any(close(untaxed + tax, total) for untaxed in untaxed_list):
            points += 2
        if expected is not None and abs(tax - expected) <= 0.011:
            points += 2
        if len(tax_lines) > 1 and close(tax, round(sum(tax_lines), 2)):
            points += 1  # several rates: the tax is their sum
        return points

    if candidates:
        best = max(sorted(candidates), key=score)
        if score(best) >= 2 and best < total:
            return best
    for untaxed in untaxed_list:
        if 0 <= untaxed <= total:
            return round(total - untaxed, 2)
    return expected
