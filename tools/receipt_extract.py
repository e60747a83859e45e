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
from .invoice_labels import LANGUAGES
from .receipt_amounts import RECEIPT_LABEL_RES, labelled_amounts, resolve_totals

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
    amounts = labelled_amounts(lines)
    values.update(resolve_totals(amounts))
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
        if _NOT_MERCHANT.match(norm) or document_values.label_segments(candidate, RECEIPT_LABEL_RES):
            continue
        if not re.search(r"[a-z]{3}", norm):  # a few letters scattered by noise
            continue
        return " ".join(candidate.split())
    return None


def _date(lines, languages, date_order):
    for line in lines:
        for kind, value in document_values.label_segments(line, RECEIPT_LABEL_RES):
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
