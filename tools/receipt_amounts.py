# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The labels of a till receipt's lines and its block of totals (see `receipt_extract`): the
amounts read after their labels, and the total, untaxed amount and taxes they agree on.
Plain Python, no ORM."""

import re

from . import document_values
from .document_values import close
from .invoice_labels import LABELS

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
RECEIPT_LABEL_RES = document_values.compile_labels(RECEIPT_LABELS)
# Tendered as cash: the total is what was given less the change.
_CASH_RE = re.compile(r"(?<![a-z])(?:cash|especes|bar|gegeben|tendered)(?![a-z])")


# ------------------------------------------------------------
# AMOUNTS
# ------------------------------------------------------------


def labelled_amounts(lines):
    """The amounts of the receipt, by label: lists of floats per kind, the tax rates, and the
    items (the amounts ending the unlabelled lines above the first total)."""
    found = {kind: [] for kind in ("untaxed", "tax", "total", "card", "cash", "change", "balance", "items")}
    found["rates"] = []
    in_items = True
    for line in lines:
        segments = document_values.label_segments(line, RECEIPT_LABEL_RES)
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


def resolve_totals(found):
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
