# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""A corpus of till receipts generated for the digitization tests, with their truth.

Twelve receipts (restaurants, cafés, a taxi, a hotel, a petrol station, a post office, a
florist, a train ticket...) in English, French and German, in EUR, GBP, USD, CHF and CAD,
printed like a thermal till roll (80 mm wide, Courier): merchant, address, VAT number,
date and time, items, then totals that tempt a wrong reading: a subtotal and the tax on
the same line as the total, two tax rates, the cash given and the change, a balance of
zero. Each is rendered as a text PDF (reportlab) and as a phone photo
(:func:`..digitization_corpus.render_photo`): low resolution, perspective, skew, shadow,
faded thermal print, JPEG quality 30-40. Deterministic (seeded).
"""

import datetime
import io
from dataclasses import dataclass

from . import digitization_corpus as bills

D = datetime.date
# Points: an 80 mm till roll.
ROLL_WIDTH = 227

LABELS = {
    "en": {"subtotal": "Subtotal", "tax": "VAT {rate}%", "total": "TOTAL", "cash": "Cash", "change": "Change",
           "card": "Card", "vat": "VAT No.", "date": "Date", "thanks": "Thank you for your visit!"},
    "fr": {"subtotal": "Total HT", "tax": "TVA {rate}%", "total": "TOTAL TTC", "cash": "Espèces",
           "change": "Rendu", "card": "CB", "vat": "N° TVA", "date": "Date", "thanks": "Merci de votre visite !"},
    "de": {"subtotal": "Netto", "tax": "MwSt {rate}%", "total": "SUMME", "cash": "Bar", "change": "Rückgeld",
           "card": "EC-Karte", "vat": "USt-IdNr.", "date": "Datum", "thanks": "Vielen Dank für Ihren Einkauf!"},
}  # fmt: skip


@dataclass
class CorpusReceipt:
    """One receipt of the corpus: what is printed on it, and so what extraction must find.

    Prices are printed taxes included, as on a till receipt: the tax lines say how much of
    the total is tax (``rates``: rate → part of the total taxed at it).
    """

    key: str
    lang: str
    merchant: str
    address: list
    vat: str | None
    date: datetime.date
    time: str
    currency: str
    items: list  # (description, amount taxes included)
    rates: list  # tax rates, one per item (same order), in percent
    date_format: str
    amount_format: str
    category: str  # meal, travel, communication, gift
    layout: str = "plain"  # plain, inline (subtotal, tax, total on one line), cash, two_rates, balance
    tax_label: str | None = None
    tender: str = "card"

    @property
    def total(self):
        return round(sum(amount for _desc, amount in self.items), 2)

    def tax_lines(self):
        """(rate, tax amount, base) per rate, as a till prints them."""
        lines = []
        for rate in dict.fromkeys(self.rates):
            gross = round(sum(amount for (_d, amount), r in zip(self.items, self.rates, strict=True) if r == rate), 2)
            tax = round(gross - gross / (1 + rate / 100), 2)
            lines.append((rate, tax, round(gross - tax, 2)))
        return lines

    @property
    def tax(self):
        return round(sum(tax for _rate, tax, _base in self.tax_lines()), 2)

    @property
    def untaxed(self):
        return round(self.total - self.tax, 2)

    def truth(self):
        """The fields extraction must find, as :func:`..tools.receipt_extract.extract_receipt` returns them."""
        truth = {
            "vendor_name": self.merchant,
            "date": self.date,
            "currency": self.currency,
            "amount_total": self.total,
            "amount_tax": self.tax,
            "category": self.category,
        }
        if self.vat:
            truth["vendor_vat"] = bills._compact_vat(self.vat)
        return truth

    # ------------------------------------------------------------
    # FORMATTING
    # ------------------------------------------------------------

    def fmt_date(self):
        return bills.CorpusBill.fmt_date(self, self.date)

    def fmt_amount(self, amount, symbol=False):
        plain = f"{amount:,.2f}"
        number = {
            "en": plain,
            "fr": plain.replace(",", " ").replace(".", ","),
            "de": plain.replace(",", "X").replace(".", ",").replace("X", "."),
            "ch": plain.replace(",", "'"),
        }[self.amount_format]
        if not symbol:
            return number
        sign = {"EUR": "€", "GBP": "£", "USD": "$", "CAD": "CAD", "CHF": "CHF"}[self.currency]
        if sign in ("CAD", "CHF"):
            return f"{sign} {number}"
        return f"{sign}{number}" if self.amount_format == "en" else f"{number} {sign}"

    def fmt_rate(self, rate):
        text = f"{rate:g}"
        return text if self.amount_format in ("en", "ch") else text.replace(".", ",")


RECEIPTS = [
    CorpusReceipt("gb_pub", "en", "The Crown and Anchor", ["22 Fleet Street", "London EC4Y 1AA"], "GB 980 7806 84",
                  D(2025, 3, 14), "13:42", "GBP",
                  [("2x Fish and chips", 29.00), ("Sparkling water", 3.50), ("Sticky toffee pudding", 6.75)],
                  [20, 20, 20], "dmy/", "en", "meal"),
    CorpusReceipt("fr_cafe", "fr", "Café des Arts", ["12 rue de Seine", "75006 Paris"], "FR 40 303 265 045",
                  D(2025, 3, 18), "09:15", "EUR",
                  [("Café crème", 4.20), ("Croissant", 2.10), ("Jus d'orange pressé", 5.50)],
                  [10, 10, 10], "dmy/", "fr", "meal", tender="cash"),
    CorpusReceipt("de_taxi", "de", "Taxi Berlin Zentrale", ["Persiusstraße 7", "10245 Berlin"], "DE 811 569 869",
                  D(2025, 3, 7), "22:08", "EUR",
                  [("Fahrt Hauptbahnhof - Mitte", 23.40), ("Gepäckzuschlag", 1.50)],
                  [7, 7], "dmy.", "de", "travel"),
    CorpusReceipt("us_hotel", "en", "Lakeview Hotel Chicago", ["455 N Lake Shore Dr", "Chicago, IL 60611"], None,
                  D(2025, 3, 12), "11:02", "USD",
                  [("Room 1204 - 2 nights", 398.00), ("Breakfast", 36.00), ("Parking", 45.00)],
                  [10.25, 10.25, 10.25], "mdy/", "en", "travel", layout="balance", tax_label="Sales tax {rate}%"),
    CorpusReceipt("ch_fuel", "de", "Tankstelle Alpenblick", ["Bernstrasse 88", "3018 Bern"], "CHE-116.281.710 MWST",
                  D(2025, 2, 27), "17:51", "CHF",
                  [("Bleifrei 95  42.10 L", 78.30), ("Scheibenreiniger", 6.90)],
                  [8.1, 8.1], "dmy.", "ch", "travel", tax_label="MWST {rate}%"),
    CorpusReceipt("be_post", "fr", "La Poste Bruxelles Centre", ["Boulevard Anspach 1", "1000 Bruxelles"],
                  "BE 0214.596.464", D(2025, 3, 4), "10:37", "EUR",
                  [("Envoi recommandé", 8.90), ("Timbres x10", 16.00), ("Enveloppe bulle", 2.50)],
                  [21, 21, 21], "dmy-", "fr", "communication"),
    CorpusReceipt("nl_florist", "en", "Bloemen de Tulp", ["Prinsengracht 112", "1015 EA Amsterdam"],
                  "NL 004495445B01", D(2025, 3, 21), "16:20", "EUR",
                  [("Bouquet of tulips", 34.50), ("Gift wrapping", 3.00)],
                  [9, 21], "iso", "en", "gift", layout="two_rates"),
    CorpusReceipt("gb_cafe_cash", "en", "Bean There Coffee", ["4 Market Square", "Oxford OX1 3AA"], None,
                  D(2025, 3, 10), "08:05", "GBP",
                  [("Flat white", 3.40), ("Almond croissant", 3.10), ("Porridge", 4.25)],
                  [20, 20, 20], "d month y", "en", "meal", layout="cash", tender="cash"),
    CorpusReceipt("fr_brasserie", "fr", "Brasserie du Marché", ["3 place du Marché", "69002 Lyon"], "FR 96 552 100 554",
                  D(2025, 3, 19), "20:47", "EUR",
                  [("Menu du jour x2", 39.80), ("Pichet de vin rouge", 18.00), ("Eau minérale", 4.50)],
                  [10, 20, 10], "dmy/", "fr", "meal", layout="two_rates"),
    CorpusReceipt("de_bakery", "de", "Bäckerei Schmidt", ["Marktplatz 3", "80331 München"], "DE 293 714 677",
                  D(2025, 3, 3), "07:32", "EUR",
                  [("Brezel x2", 1.90), ("Roggenbrot", 3.80), ("Kaffee to go", 2.60)],
                  [7, 7, 19], "dmy.", "de", "meal", layout="cash", tender="cash"),
    CorpusReceipt("gb_rail", "en", "Great Western Railway", ["Paddington Station", "London W2 1HB"], None,
                  D(2025, 3, 17), "06:55", "GBP",
                  [("Off-peak return Reading", 28.60), ("Seat reservation", 0.00)],
                  [0, 0], "mon d, y", "en", "travel", layout="inline"),
    CorpusReceipt("ca_diner", "en", "Maple Street Diner", ["310 Queen St W", "Toronto, ON M5V 2A2"], None,
                  D(2025, 3, 25), "12:30", "CAD",
                  [("Club sandwich", 17.50), ("Poutine", 11.25), ("Iced tea", 3.95)],
                  [13, 13, 13], "mon d, y", "en", "meal", layout="inline", tax_label="HST {rate}%"),
]  # fmt: skip
# The receipt of the demo data (iap_credits_hr_expense/demo/files/harbor_grill_receipt.jpg): a
# phone photo, taxed at 15 % like the purchase tax of the generic chart of accounts of the
# demo company.
DEMO_RECEIPT = CorpusReceipt("demo_us_grill", "en", "Harbor Grill",
                             ["Pier 39, Beach Street", "San Francisco, CA 94133"], None, D(2025, 3, 6), "12:48", "USD",
                             [("Clam chowder", 12.50), ("Grilled salmon", 28.00), ("Sparkling water", 4.50)],
                             [15, 15, 15], "mdy/", "en", "meal", tax_label="Tax {rate}%")  # fmt: skip


# ------------------------------------------------------------
# RENDERING
# ------------------------------------------------------------


def _lines(receipt):
    """The printed lines: (text, style) with style ``center``, ``bold`` or ``pair`` (left, right)."""
    lab = LABELS[receipt.lang]
    out = [(receipt.merchant, "title")]
    out += [(line, "center") for line in receipt.address]
    if receipt.vat:
        out.append((f"{lab['vat']} {receipt.vat}", "center"))
    out.append(("", "blank"))
    out.append(((f"{lab['date']}: {receipt.fmt_date()}", receipt.time), "pair"))
    out.append(("-" * 32, "rule"))
    out += [((desc, receipt.fmt_amount(amount)), "pair") for desc, amount in receipt.items]
    out.append(("-" * 32, "rule"))
    tax_label = receipt.tax_label or lab["tax"]
    tax_lines = receipt.tax_lines()
    if receipt.layout == "inline":
        # Subtotal, tax and total side by side: the total is not the last amount of its line.
        rate, tax, base = tax_lines[0]
        out.append(((f"{lab['subtotal']} {receipt.fmt_amount(base)}", ""), "pair"))
        out.append(
            (
                (
                    f"{tax_label.format(rate=receipt.fmt_rate(rate))} {receipt.fmt_amount(tax)}",
                    f"{lab['total']} {receipt.fmt_amount(receipt.total, symbol=True)}",
                ),
                "pair",
            )
        )
    else:
        out.append(((lab["subtotal"], receipt.fmt_amount(receipt.untaxed)), "pair"))
        for rate, tax, _base in tax_lines:
            out.append(((tax_label.format(rate=receipt.fmt_rate(rate)), receipt.fmt_amount(tax)), "pair"))
        out.append(((lab["total"], receipt.fmt_amount(receipt.total, symbol=True)), "bold"))
    if receipt.tender == "cash":
        given = float(int(receipt.total / 10) * 10 + 10)
        out.append(((lab["cash"], receipt.fmt_amount(given)), "pair"))
        out.append(((lab["change"], receipt.fmt_amount(round(given - receipt.total, 2))), "pair"))
    else:
        out.append(((lab["card"], receipt.fmt_amount(receipt.total)), "pair"))
    if receipt.layout == "balance":
        out.append((("Balance due", receipt.fmt_amount(0.0)), "pair"))
    out.append(("", "blank"))
    out.append((lab["thanks"], "center"))
    return out


def render_pdf(receipt):
    """The receipt as a text PDF: a till roll 80 mm wide, as long as its lines."""
    from reportlab.pdfgen import canvas

    lines = _lines(receipt)
    height = 60 + 13 * len(lines) + 20
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(ROLL_WIDTH, height))
    pdf.setTitle(f"{receipt.merchant} {receipt.date}")
    y = height - 40
    left, right, center = 12, ROLL_WIDTH - 12, ROLL_WIDTH / 2
    for text, style in lines:
        if style == "title":
            pdf.setFont("Courier-Bold", 11)
            pdf.drawCentredString(center, y, text)
            y -= 4
        elif style in ("center", "rule"):
            pdf.setFont("Courier", 9)
            pdf.drawCentredString(center, y, text)
        elif style in ("pair", "bold"):
            pdf.setFont("Courier-Bold" if style == "bold" else "Courier", 10 if style == "bold" else 9)
            pdf.drawString(left, y, text[0])
            pdf.drawRightString(right, y, text[1])
        y -= 13
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_photo(receipt, pdf_data=None):
    """The receipt as a phone photo of it, on a table (see :func:`..digitization_corpus.render_photo`)."""
    return bills.render_photo(pdf_data or render_pdf(receipt), receipt.key, thermal=True)
