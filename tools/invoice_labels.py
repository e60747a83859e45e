# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The words of a vendor bill, per language: labels of its fields, words that tell its
language, currencies.

Plain data, no ORM. Label patterns match the normalised line (lower case, no accents:
see :func:`.document_values.normalize`), whole words only. Where two labels overlap the
longest match wins (:func:`.document_values.label_segments`), so "total ht" is untaxed
although "total" is a total, and the order of the patterns does not matter. A label two
languages share ("date", "total") is listed once, under the first of them. A new
language is one more table here, and its code in :data:`LANGUAGE_WORDS`.
"""

ENGLISH_LABELS = {
    "vat_id": [
        r"vat\s*(?:no|number|id|reg(?:istration)?\.?\s*no)\.?",
        r"tax\s*id",
    ],
    "number": [
        r"invoice\s*(?:no|n[o°º]|number|num|nr|#)\.?",
        r"bill\s*(?:no|number|#)\.?",
        r"receipt\s*(?:no|number|#)\.?",
    ],
    "date": [
        r"invoice\s*date",
        r"date\s*of\s*invoice",
        r"bill\s*date",
        r"issue\s*date|date\s*of\s*issue|issued\s*on",
        r"date",  # French too
    ],
    "due": [
        r"due\s*date",
        r"payment\s*due(?:\s*date)?",
        r"due\s*(?:on|by)",
        r"pay(?:able)?\s*by",
    ],
    "total": [
        r"total\s*(?:due|amount|payable|to\s*pay)",
        r"amount\s*(?:due|payable)",
        r"balance\s*due",
        r"grand\s*total",
        r"total\s*incl(?:\.|uding)?\s*(?:vat|tax)",
        r"total",  # French too
    ],
    "untaxed": [
        r"sub[\s-]*total",
        r"total\s*(?:excl(?:\.|uding)?\s*(?:vat|tax)|before\s*tax|net)",
        r"net\s*(?:amount|total)",
        r"untaxed\s*amount",
    ],
    "tax": [
        r"vat",
        r"sales\s*tax",
        r"gst|hst|pst|qst",
        r"tax(?:es)?",
        r"total\s*(?:vat|tax|tva)",  # "total tva" in French
    ],
    "header": [
        r"description|designation|bezeichnung|beschreibung|article|artikel|item",  # all three languages
    ],
}

FRENCH_LABELS = {
    "vat_id": [
        r"n[o°º*]\s*(?:de\s*)?tva(?:\s*intra(?:communautaire)?)?",
        r"tva\s*intra(?:communautaire)?",
        r"siret|siren",
    ],
    "number": [
        r"facture\s*(?:n[o°º*]|numero|num|#)\.?",
        r"n[o°º*]\s*(?:de\s*)?facture",
        r"numero\s*de\s*(?:la\s*)?facture",
    ],
    "date": [
        r"date\s*de\s*(?:la\s*)?factur(?:e|ation)",
        r"date\s*d.emission",
    ],
    "due": [
        r"date\s*d.?\s*echeance",
        r"echeance",
        r"a\s*payer\s*avant\s*le",
        r"au\s*plus\s*tard\s*le",
    ],
    "total": [
        r"total\s*ttc",
        r"montant\s*ttc",
        r"net\s*a\s*payer",
        r"total\s*a\s*payer",
    ],
    "untaxed": [
        r"total\s*h\.?\s*t\.?",
        r"montant\s*h\.?\s*t\.?",
        r"sous[\s-]*total",
    ],
    "tax": [
        r"t\.?v\.?a\.?",
        r"montant\s*tva",
    ],
}

GERMAN_LABELS = {
    "vat_id": [
        r"(?:ust|mwst)[\s.-]*id[\s.-]*(?:nr|nummer)?\.?",
        r"steuer[\s-]*nr\.?",
    ],
    "number": [
        r"rechnungs?[\s-]*(?:nummer|nr)\.?",
        r"beleg[\s-]*(?:nummer|nr)\.?",
    ],
    "date": [
        r"rechnungsdatum",
        r"belegdatum",
        r"datum",
    ],
    "due": [
        r"f[a]e?llig(?:keitsdatum|\s*am)?",
        r"fa?e?ll[a-z]?g\s*am",  # "Fallg am": OCR drops the i of a low-resolution "Fällig am"
        r"zahlbar\s*bis(?:\s*zum)?",
        r"zahlungsziel",
    ],
    "total": [
        r"gesamt(?:betrag|summe)",
        r"rechnungs(?:betrag|summe)",
        r"(?:end|brutto)summe|summe\s*brutto|bruttobetrag|zu\s*zahlen",
        r"summe",
    ],
    "untaxed": [
        r"netto(?:betrag|summe)?|summe\s*netto|zwischensumme",
    ],
    "tax": [
        r"(?:zzgl\.?\s*)?(?:mwst|ust|mehrwertsteuer|umsatzsteuer)\.?",
    ],
}

LABELS_BY_LANGUAGE = {"en": ENGLISH_LABELS, "fr": FRENCH_LABELS, "de": GERMAN_LABELS}
LANGUAGES = tuple(LABELS_BY_LANGUAGE)

# The labels of a bill of any language, by field: ``{kind: [pattern, ...]}``.
LABELS = {}
for _labels in LABELS_BY_LANGUAGE.values():
    for _kind, _patterns in _labels.items():
        LABELS.setdefault(_kind, []).extend(_patterns)

# Words that tell the language of a bill; only used to pick date orders and parsers.
LANGUAGE_WORDS = {
    "en": ("invoice", "total", "due", "date", "amount", "qty", "price", "subtotal", "bill"),
    "fr": ("facture", "tva", "montant", "echeance", "designation", "prix", "ttc", "qte"),
    "de": ("rechnung", "betrag", "mwst", "datum", "menge", "summe", "einzelpreis", "ust", "fallig"),
}

CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF")
CURRENCY_SYMBOLS = [("CA$", "CAD"), ("C$", "CAD"), ("A$", "AUD"), ("US$", "USD"), ("€", "EUR"), ("£", "GBP"),
                    ("¥", "JPY"), ("$", "USD")]  # fmt: skip
