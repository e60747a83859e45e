# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""A corpus of vendor bills generated for the digitization tests, with their truth.

Fourteen bills of five layouts (two of them in two columns, with the subtotal, the tax
and the total on one line), in English, French and German, with their own date and number
formats and currencies. Each is rendered as a text PDF (reportlab), as a "scan" (the PDF
rasterised at 300 dpi by poppler, slightly rotated, blurred and speckled, then saved as
an image-only PDF, a PNG or a JPEG photo) and as a harsh one (:func:`render_harsh`:
100-150 dpi, skewed up to 5°, JPEG quality 30-40, every other one a phone photo on a
desk). Everything is deterministic (seeded), so the accuracy figures are stable from run
to run.
"""

import datetime
import io
import random
from dataclasses import dataclass, field

# The company the bills are addressed to: its VAT number is printed on every bill and
# must never be taken for the vendor's.
CUSTOMER_NAME = "YourCompany SA"
CUSTOMER_VAT = "BE0477472701"
CUSTOMER_ADDRESS = ["Rue de la Loi 16", "1000 Bruxelles", "Belgium"]

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
}  # fmt: skip

LABELS = {
    "en": {
        "title": "INVOICE",
        "number": "Invoice No.",
        "date": "Invoice Date",
        "due": "Due Date",
        "desc": "Description",
        "qty": "Qty",
        "unit": "Unit Price",
        "amount": "Amount",
        "untaxed": "Subtotal",
        "tax": "VAT {rate}%",
        "total": "Total Due",
        "vat": "VAT No.",
        "bill_to": "Bill to:",
    },
    "fr": {
        "title": "FACTURE",
        "number": "Facture N°",
        "date": "Date de facture",
        "due": "Date d'échéance",
        "desc": "Désignation",
        "qty": "Qté",
        "unit": "Prix unitaire",
        "amount": "Montant",
        "untaxed": "Total HT",
        "tax": "TVA {rate} %",
        "total": "Total TTC",
        "vat": "N° TVA",
        "bill_to": "Facturé à :",
    },
    "de": {
        "title": "RECHNUNG",
        "number": "Rechnungsnummer",
        "date": "Rechnungsdatum",
        "due": "Fällig am",
        "desc": "Bezeichnung",
        "qty": "Menge",
        "unit": "Einzelpreis",
        "amount": "Betrag",
        "untaxed": "Nettobetrag",
        "tax": "MwSt. {rate} %",
        "total": "Gesamtbetrag",
        "vat": "USt-IdNr.",
        "bill_to": "Rechnung an:",
    },
}


@dataclass
class CorpusBill:
    """One bill of the corpus: what is printed on it, and so what extraction must find."""

    key: str
    lang: str
    layout: str
    vendor: str
    vendor_vat: str | None
    address: list
    number: str
    date: datetime.date
    due: datetime.date | None
    currency: str
    lines: list  # (description, quantity, unit price)
    tax_rate: float
    date_format: str
    amount_format: str
    scan_kind: str  # how the scanned copy is delivered: pdf, png or jpeg
    labels: dict = field(default_factory=dict)
    tax_label: str | None = None
    customer_vat: str | None = CUSTOMER_VAT

    @property
    def untaxed(self):
        return round(sum(round(qty * price, 2) for _desc, qty, price in self.lines), 2)

    @property
    def tax(self):
        return round(self.untaxed * self.tax_rate / 100, 2)

    @property
    def total(self):
        return round(self.untaxed + self.tax, 2)

    def truth(self):
        """The fields extraction must find, as :func:`..tools.invoice_extract.extract_invoice` returns them."""
        truth = {
            "invoice_number": self.number,
            "invoice_date": self.date,
            "currency": self.currency,
            "amount_untaxed": self.untaxed,
            "amount_tax": self.tax,
            "amount_total": self.total,
        }
        if self.due:
            truth["due_date"] = self.due
        if self.vendor_vat:
            truth["vendor_vat"] = _compact_vat(self.vendor_vat)
        if self.layout != "receipt":
            truth["lines"] = [(qty, price, round(qty * price, 2)) for _desc, qty, price in self.lines]
        return truth

    # ------------------------------------------------------------
    # FORMATTING
    # ------------------------------------------------------------

    def fmt_date(self, date):
        month = MONTHS[self.lang][date.month - 1]
        return {
            "dmy/": f"{date:%d/%m/%Y}",
            "mdy/": f"{date:%m/%d/%Y}",
            "dmy.": f"{date:%d.%m.%Y}",
            "dmy-": f"{date:%d-%m-%Y}",
            "iso": f"{date:%Y-%m-%d}",
            "d month y": f"{date.day} {month} {date.year}",
            "d. month y": f"{date.day}. {month} {date.year}",
            "month d, y": f"{month} {date.day}, {date.year}",
            "mon d, y": f"{month[:3]} {date.day}, {date.year}",
        }[self.date_format]

    def fmt_amount(self, amount):
        plain = f"{amount:,.2f}"  # 1,234.56
        number = {
            "en": plain,
            "fr": plain.replace(",", " ").replace(".", ","),
            "de": plain.replace(",", "X").replace(".", ",").replace("X", "."),
            "ch": plain.replace(",", "'"),
        }[self.amount_format]
        symbol = {"EUR": "€", "GBP": "£", "USD": "$", "CAD": "CAD", "CHF": "CHF"}[self.currency]
        if self.currency in ("CAD", "CHF") or (self.amount_format == "en" and self.currency != "EUR"):
            return f"{symbol} {number}" if symbol in ("CAD", "CHF") else f"{symbol}{number}"
        return f"{number} {symbol}"

    def fmt_qty(self, qty):
        text = f"{qty:g}"
        return text.replace(".", ",") if self.amount_format in ("fr", "de") else text


def _compact_vat(vat):
    return "".join(char for char in vat.upper() if char.isalnum()).replace("MWST", "")


D = datetime.date
BILLS = [
    CorpusBill("en_gb_classic", "en", "classic", "Northwind Traders Ltd", "GB980780684",
               ["12 Baker Street", "London NW1 6XE", "United Kingdom"], "INV-2025-0042",
               D(2025, 3, 5), D(2025, 4, 4), "GBP",
               [("Office chairs", 4, 129.50), ("Standing desk", 1, 489.00), ("Delivery", 1, 35.00)],
               20, "d month y", "en", "pdf"),
    CorpusBill("en_us_modern", "en", "modern", "Contoso Office Supply Inc.", None,
               ["500 Market Street", "San Francisco, CA 94105", "USA"], "10573",
               D(2025, 3, 14), D(2025, 4, 13), "USD",
               [("Printer paper A4 (box)", 12, 24.99), ("Toner cartridge", 3, 89.90)],
               8.25, "mdy/", "en", "png"),
    CorpusBill("fr_classic", "fr", "classic", "Papeterie Dupont SARL", "FR40303265045",
               ["8 rue des Lilas", "69003 Lyon", "France"], "FA-2025-118",
               D(2025, 2, 17), D(2025, 3, 19), "EUR",
               [("Ramettes papier", 20, 5.40), ("Classeurs A4", 15, 3.25), ("Stylos bille (lot)", 6, 7.80)],
               20, "dmy/", "fr", "jpeg"),
    CorpusBill("de_classic", "de", "classic", "Müller Bürobedarf GmbH", "DE811569869",
               ["Hauptstraße 5", "10115 Berlin", "Deutschland"], "RE-4711",
               D(2025, 1, 28), D(2025, 2, 27), "EUR",
               [("Druckerpapier", 10, 6.95), ("Bürostuhl", 2, 249.00)],
               19, "dmy.", "de", "pdf"),
    CorpusBill("be_modern", "en", "modern", "Brussels Catering BV", "BE0431673358",
               ["Avenue Louise 231", "1050 Ixelles", "Belgium"], "2025/0311",
               D(2025, 3, 11), D(2025, 4, 10), "EUR",
               [("Lunch buffet (25 persons)", 25, 18.50), ("Coffee service", 2, 45.00)],
               21, "iso", "en", "png"),
    CorpusBill("fr_letter", "fr", "letter", "Transports Lefèvre", "FR96552100554",
               ["Zone Artisanale Nord", "59000 Lille", "France"], "TL25-0093",
               D(2025, 4, 2), D(2025, 5, 2), "EUR",
               [("Transport palettes Lille-Bruxelles", 3, 145.00), ("Manutention", 2, 38.50)],
               20, "d month y", "fr", "pdf"),
    CorpusBill("ch_classic", "de", "classic", "Alpen Software AG", "CHE-116.281.710 MWST",
               ["Bahnhofstrasse 10", "8001 Zürich", "Schweiz"], "AS-2025-007",
               D(2025, 3, 3), D(2025, 4, 2), "CHF",
               [("Softwarelizenz Jahresabo", 1, 1980.00), ("Schulung (Stunden)", 6, 150.00)],
               8.1, "dmy.", "ch", "jpeg"),
    CorpusBill("ca_modern", "en", "modern", "Maple Leaf Consulting", None,
               ["200 Bay Street", "Toronto, ON M5J 2J2", "Canada"], "MLC-3381",
               D(2025, 3, 20), D(2025, 4, 19), "CAD",
               [("Consulting hours", 14, 175.00), ("Travel expenses", 1, 312.40)],
               13, "mon d, y", "en", "pdf"),
    CorpusBill("de_letter", "de", "letter", "Schmidt Logistik KG", "DE293714677",
               ["Industriestraße 12", "20457 Hamburg", "Deutschland"], "2025-0815",
               D(2025, 3, 7), D(2025, 4, 6), "EUR",
               [("Lagerung März", 1, 850.00), ("Kommissionierung", 120, 1.85)],
               19, "d. month y", "de", "png"),
    CorpusBill("be_fr_classic", "fr", "classic", "Imprimerie Wallonne SRL", "BE0403019261",
               ["Rue de Namur 44", "5000 Namur", "Belgique"], "IW/2025/214",
               D(2025, 2, 24), D(2025, 3, 26), "EUR",
               [("Flyers A5 couleur", 2000, 0.09), ("Affiches A2", 50, 2.40)],
               21, "dmy-", "fr", "jpeg"),
    CorpusBill("nl_receipt", "en", "receipt", "Dutch Flowers BV", "NL004495445B01",
               ["Bloemenmarkt 7", "1012 Amsterdam", "Netherlands"], "DF-88120",
               D(2025, 3, 12), None, "EUR",
               [("Flower arrangements for reception", 1, 240.00)],
               9, "mon d, y", "en", "pdf"),
    CorpusBill("fr_receipt", "fr", "receipt", "Café de la Gare", None,
               ["2 place de la Gare", "75010 Paris", "France"], "T-20250318-07",
               D(2025, 3, 18), None, "EUR",
               [("Repas d'affaires", 1, 86.40)],
               10, "dmy/", "fr", "png"),
    # Two columns side by side, and the subtotal, the tax and the total on one line.
    CorpusBill("ie_two_column", "en", "two_column", "Liffey Print Works Ltd", "IE6388047V",
               ["41 Capel Street", "Dublin 1, D01 F2X7", "Ireland"], "LPW-25-0219",
               D(2025, 2, 19), D(2025, 3, 21), "EUR",
               [("Business cards (500)", 4, 38.00), ("Roll-up banner", 2, 95.00), ("Design hours", 3, 60.00)],
               23, "dmy/", "en", "jpeg"),
    CorpusBill("at_two_column", "de", "two_column", "Wiener Kaffeehaus Ausstattung GmbH", "ATU13585627",
               ["Mariahilfer Straße 45", "1060 Wien", "Österreich"], "WKA-2025-0311",
               D(2025, 3, 11), D(2025, 4, 10), "EUR",
               [("Espressomaschine", 1, 1450.00), ("Kaffeetassen (Set)", 6, 42.50)],
               20, "dmy.", "de", "pdf"),
]  # fmt: skip
# The bill of the demo data (demo/files/kiwi_office_supplies_scan.pdf): a scan, taxed at
# 15 % like the purchase tax of the generic chart of accounts of the demo company.
DEMO_BILL = CorpusBill("demo_nz_modern", "en", "modern", "Kiwi Office Supplies Ltd", None,
                       ["14 Queen Street", "Auckland 1010", "New Zealand"], "KOS-2025-0117",
                       D(2025, 3, 5), D(2025, 4, 4), "USD",
                       [("Ergonomic chair", 2, 310.00), ("Monitor arm", 4, 45.50)],
                       15, "mon d, y", "en", "pdf", tax_label="GST {rate}%",
                       customer_vat=None)  # fmt: skip
for _bill in [*BILLS, DEMO_BILL]:
    _bill.labels = LABELS[_bill.lang]


# ------------------------------------------------------------
# RENDERING
# ------------------------------------------------------------


def render_pdf(bill):
    """The bill as a text PDF (A4), drawn with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{bill.vendor} {bill.number}")
    _LAYOUTS[bill.layout](pdf, bill, A4[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _vendor_block(pdf, bill, x, y):
    lab = bill.labels
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(x, y, bill.vendor)
    pdf.setFont("Helvetica", 10)
    for line in bill.address:
        y -= 14
        pdf.drawString(x, y, line)
    if bill.vendor_vat:
        y -= 14
        pdf.drawString(x, y, f"{lab['vat']}: {bill.vendor_vat}")
    return y


def _customer_block(pdf, bill, x, y):
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(x, y, bill.labels["bill_to"])
    pdf.setFont("Helvetica", 10)
    vat = [f"{bill.labels['vat']}: {bill.customer_vat}"] if bill.customer_vat else []
    for line in [CUSTOMER_NAME, *CUSTOMER_ADDRESS, *vat]:
        y -= 14
        pdf.drawString(x, y, line)
    return y


def _meta(bill):
    lab = bill.labels
    rows = [(lab["number"], bill.number), (lab["date"], bill.fmt_date(bill.date))]
    if bill.due:
        rows.append((lab["due"], bill.fmt_date(bill.due)))
    return rows


def _lines_table(pdf, bill, y, columns=(50, 330, 420, 545)):
    lab = bill.labels
    x_desc, x_qty, x_unit, x_amount = columns
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(x_desc, y, lab["desc"])
    pdf.drawRightString(x_qty, y, lab["qty"])
    pdf.drawRightString(x_unit, y, lab["unit"])
    pdf.drawRightString(x_amount, y, lab["amount"])
    pdf.line(x_desc, y - 5, x_amount, y - 5)
    pdf.setFont("Helvetica", 10)
    for desc, qty, price in bill.lines:
        y -= 18
        pdf.drawString(x_desc, y, desc)
        pdf.drawRightString(x_qty, y, bill.fmt_qty(qty))
        pdf.drawRightString(x_unit, y, bill.fmt_amount(price))
        pdf.drawRightString(x_amount, y, bill.fmt_amount(round(qty * price, 2)))
    pdf.line(x_desc, y - 8, x_amount, y - 8)
    return y - 8


def _totals(pdf, bill, y, x_label=360, x_amount=545):
    lab = bill.labels
    rate = f"{bill.tax_rate:g}" if bill.amount_format == "en" else f"{bill.tax_rate:g}".replace(".", ",")
    rows = [
        (lab["untaxed"], bill.untaxed),
        ((bill.tax_label or lab["tax"]).format(rate=rate), bill.tax),
        (lab["total"], bill.total),
    ]
    for index, (label, amount) in enumerate(rows):
        y -= 20
        pdf.setFont("Helvetica-Bold" if index == 2 else "Helvetica", 11 if index == 2 else 10)
        pdf.drawString(x_label, y, label)
        pdf.drawRightString(x_amount, y, bill.fmt_amount(amount))
    return y


def _footer(pdf, bill):
    pdf.setFont("Helvetica", 8)
    pdf.drawString(50, 60, f"{bill.vendor} - IBAN DE89 3704 0044 0532 0130 00 - BIC COBADEFFXXX")


def _layout_classic(pdf, bill, height):
    """Vendor at the top left, title on the right, 'label: value' lines, table, totals."""
    _vendor_block(pdf, bill, 50, height - 60)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawRightString(545, height - 60, bill.labels["title"])
    y = height - 170
    pdf.setFont("Helvetica", 10)
    for label, value in _meta(bill):
        pdf.drawString(50, y, f"{label}: {value}")
        y -= 14
    _customer_block(pdf, bill, 330, height - 170)
    y = _lines_table(pdf, bill, height - 300)
    _totals(pdf, bill, y)
    _footer(pdf, bill)


def _layout_modern(pdf, bill, height):
    """Title first, meta as a right-hand column of labels and values, customer on the left."""
    pdf.setFont("Helvetica-Bold", 24)
    pdf.drawString(50, height - 60, bill.labels["title"])
    y = height - 60
    pdf.setFont("Helvetica", 10)
    for label, value in _meta(bill):
        pdf.drawString(340, y, label)
        pdf.drawRightString(545, y, value)
        y -= 16
    _vendor_block(pdf, bill, 50, height - 130)
    _customer_block(pdf, bill, 340, height - 130)
    y = _lines_table(pdf, bill, height - 290, columns=(50, 300, 420, 545))
    _totals(pdf, bill, y, x_label=340)
    _footer(pdf, bill)


def _layout_letter(pdf, bill, height):
    """A business letter: sender line, address window, meta on the right, due date in a sentence."""
    pdf.setFont("Helvetica", 7)
    pdf.drawString(50, height - 120, f"{bill.vendor} · {bill.address[0]} · {bill.address[1]}")
    _customer_block(pdf, bill, 50, height - 140)
    _vendor_block(pdf, bill, 340, height - 60)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(50, height - 260, f"{bill.labels['title']} {bill.number}")
    y = height - 285
    pdf.setFont("Helvetica", 10)
    lab = bill.labels
    pdf.drawString(50, y, f"{lab['number']}: {bill.number}")
    pdf.drawString(340, y, f"{lab['date']}: {bill.fmt_date(bill.date)}")
    y = _lines_table(pdf, bill, y - 35)
    y = _totals(pdf, bill, y)
    pdf.setFont("Helvetica", 10)
    sentence = {
        "de": "Bitte überweisen Sie den Betrag bis zum {due} ohne Abzug.",
        "fr": "Merci de régler cette facture au plus tard le {due}.",
        "en": "Please pay this invoice by {due}.",
    }[bill.lang]
    pdf.drawString(50, y - 40, f"{lab['due']}: {bill.fmt_date(bill.due)}")
    pdf.drawString(50, y - 56, sentence.format(due=bill.fmt_date(bill.due)))
    _footer(pdf, bill)


def _layout_receipt(pdf, bill, height):
    """A short receipt: no table, one description, the totals."""
    width = 595
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawCentredString(width / 2, height - 70, bill.vendor)
    pdf.setFont("Helvetica", 10)
    y = height - 70
    for line in bill.address:
        y -= 14
        pdf.drawCentredString(width / 2, y, line)
    if bill.vendor_vat:
        y -= 14
        pdf.drawCentredString(width / 2, y, f"{bill.labels['vat']}: {bill.vendor_vat}")
    y -= 40
    for label, value in _meta(bill):
        pdf.drawString(150, y, f"{label}: {value}")
        y -= 14
    y -= 20
    desc = bill.lines[0][0]
    pdf.drawString(150, y, desc)
    _totals(pdf, bill, y - 10, x_label=150, x_amount=445)


def _layout_two_column(pdf, bill, height):
    """Two columns side by side (vendor and payment details, customer and invoice data),
    then the table, then the subtotal, the tax and the total all on one line."""
    lab = bill.labels
    _vendor_block(pdf, bill, 50, height - 60)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(330, height - 60, lab["title"])
    pdf.setFont("Helvetica", 10)
    y = height - 88  # on the lines of the vendor's address
    for label, value in _meta(bill):
        pdf.drawString(330, y, f"{label}: {value}")
        y -= 14
    _customer_block(pdf, bill, 50, height - 170)
    payment = {"en": "Payment by bank transfer", "de": "Zahlung per Überweisung", "fr": "Paiement par virement"}
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(330, height - 170, payment[bill.lang])
    pdf.setFont("Helvetica", 10)
    pdf.drawString(330, height - 184, "IBAN DE89 3704 0044 0532 0130 00")
    pdf.drawString(330, height - 198, "BIC COBADEFFXXX")
    y = _lines_table(pdf, bill, height - 300)
    rate = f"{bill.tax_rate:g}" if bill.amount_format == "en" else f"{bill.tax_rate:g}".replace(".", ",")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(50, y - 24, f"{lab['untaxed']} {bill.fmt_amount(bill.untaxed)}")
    pdf.drawString(210, y - 24, f"{lab['tax'].format(rate=rate)} {bill.fmt_amount(bill.tax)}")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(545, y - 24, f"{lab['total']} {bill.fmt_amount(bill.total)}")
    _footer(pdf, bill)


_LAYOUTS = {
    "two_column": _layout_two_column,
    "classic": _layout_classic,
    "modern": _layout_modern,
    "letter": _layout_letter,
    "receipt": _layout_receipt,
}


def render_scan(bill, pdf_data=None, dpi=300):
    """The bill as a scanner or a phone would deliver it.

    :return: (data, mimetype)
    """
    import pdf2image
    from PIL import Image, ImageChops, ImageFilter

    pdf_data = pdf_data or render_pdf(bill)
    page = pdf2image.convert_from_bytes(pdf_data, dpi=dpi, grayscale=True)[0]
    rng = random.Random(bill.key)
    angle = rng.choice([-1, 1]) * rng.uniform(0.4, 1.2)
    page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.7))
    # Sensor noise of ±21 grey levels, from the seeded generator (Pillow's own is not seeded).
    noise = Image.frombytes("L", page.size, rng.randbytes(page.width * page.height)).point(
        lambda v: 128 + (v - 128) // 6
    )
    page = ImageChops.add(page, noise, 1.0, -128)
    pixels = page.load()
    for _ in range(page.width * page.height // 2500):  # dust and specks
        pixels[rng.randrange(page.width), rng.randrange(page.height)] = rng.choice([0, 60, 255])
    buffer = io.BytesIO()
    if bill.scan_kind == "pdf":
        page.save(buffer, "PDF", resolution=dpi)
        return buffer.getvalue(), "application/pdf"
    if bill.scan_kind == "png":
        page.save(buffer, "PNG", dpi=(dpi, dpi))
        return buffer.getvalue(), "image/png"
    page.save(buffer, "JPEG", quality=70)  # a phone photo: no resolution recorded
    return buffer.getvalue(), "image/jpeg"


# ------------------------------------------------------------
# HARSH SCANS AND PHONE PHOTOS
# ------------------------------------------------------------


def render_harsh(bill, pdf_data=None):
    """The bill as a poor scan or a phone photo: 100-150 dpi, skewed up to 5°, JPEG quality
    30-40; every other bill photographed on a desk (perspective, shadow).

    :return: (data, mimetype)
    """
    pdf_data = pdf_data or render_pdf(bill)
    index = [item.key for item in BILLS].index(bill.key) if bill in BILLS else 0
    if index % 2:
        return render_photo(pdf_data, bill.key)
    return render_low_scan(pdf_data, bill.key)


def render_low_scan(pdf_data, key):
    """A flatbed scan at 100-150 dpi, skewed by 2-5°, saved as a JPEG of quality 30-40."""
    import pdf2image
    from PIL import Image, ImageFilter

    rng = random.Random(f"{key}/low")
    dpi = rng.choice([100, 120, 125, 150])
    page = pdf2image.convert_from_bytes(pdf_data, dpi=dpi, grayscale=True)[0]
    angle = rng.choice([-1, 1]) * rng.uniform(2.0, 5.0)
    page = page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=rng.randint(235, 250))
    page = _add_noise(page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.6))), rng, 8)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=rng.randint(30, 40), dpi=(dpi, dpi))
    return buffer.getvalue(), "image/jpeg"


def render_photo(pdf_data, key, thermal=False):
    """A phone photo of the document lying on a desk: 100-150 dpi on the paper, perspective,
    a skew of up to 5°, a shadow across, faded print for thermal paper, JPEG quality 30-40.

    :return: (data, mimetype) — always ``image/jpeg``, without a resolution, as phones do
    """
    import numpy as np
    import pdf2image
    from PIL import Image, ImageFilter

    rng = random.Random(f"{key}/photo")
    dpi = rng.choice([110, 125, 140, 150]) if thermal else rng.choice([110, 125, 150])
    page = pdf2image.convert_from_bytes(pdf_data, dpi=dpi, grayscale=True)[0]
    pixels = np.asarray(page, dtype=np.float32) / 255.0
    if thermal:  # faded grey print on off-white paper
        ink, paper = rng.uniform(70, 115), rng.uniform(215, 240)
    else:
        ink, paper = rng.uniform(20, 50), rng.uniform(225, 245)
    pixels = ink + pixels * (paper - ink)
    # The desk: darker, textured, around the paper.
    height, width = pixels.shape
    margin_x, margin_y = int(width * rng.uniform(0.12, 0.25)), int(height * rng.uniform(0.06, 0.15))
    desk_tone = rng.uniform(60, 125)
    canvas_h, canvas_w = height + 2 * margin_y, width + 2 * margin_x
    np_rng = np.random.default_rng(rng.randrange(2**32))
    desk = desk_tone + np_rng.normal(0, 6, (canvas_h, canvas_w))
    desk[margin_y : margin_y + height, margin_x : margin_x + width] = pixels
    photo = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8), "L")
    # Perspective: the phone is held above the paper, not parallel to it; plus a skew.
    angle = rng.choice([-1, 1]) * rng.uniform(1.5, 5.0)
    photo = photo.rotate(angle, resample=Image.BICUBIC, fillcolor=int(desk_tone))
    jitter = 0.06
    corners = [(0, 0), (canvas_w, 0), (canvas_w, canvas_h), (0, canvas_h)]
    moved = [
        (x + rng.uniform(-jitter, jitter) * canvas_w, y + rng.uniform(-jitter, jitter) * canvas_h) for x, y in corners
    ]
    photo = photo.transform(
        photo.size,
        Image.PERSPECTIVE,
        _perspective_coefficients(corners, moved),
        Image.BICUBIC,
        fillcolor=int(desk_tone),
    )
    # A shadow falls across the page from one side; light falls off towards the other.
    array = np.asarray(photo, dtype=np.float32)
    ys, xs = np.mgrid[0:canvas_h, 0:canvas_w]
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * xs / canvas_w + np.sin(direction) * ys / canvas_h) * 2
    ramp = (ramp - ramp.min()) / max(ramp.max() - ramp.min(), 1e-6)
    light = 1.0 - rng.uniform(0.25, 0.4) * ramp
    edge = rng.uniform(0.3, 0.7)
    shadow = 1.0 - rng.uniform(0.2, 0.3) / (1 + np.exp(-(xs / canvas_w - edge) * 25))
    photo = Image.fromarray(np.clip(array * light * shadow, 0, 255).astype(np.uint8), "L")
    photo = _add_noise(photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9))), rng, 10)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=rng.randint(30, 40))
    return buffer.getvalue(), "image/jpeg"


def _add_noise(image, rng, spread):
    """Sensor noise of ±``spread`` grey levels, from the seeded generator."""
    from PIL import Image, ImageChops

    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height)).point(
        lambda v: 128 + (v - 128) * spread // 128
    )
    return ImageChops.add(image, noise, 1.0, -128)


def _perspective_coefficients(source, target):
    """The 8 coefficients Pillow's PERSPECTIVE transform takes to map ``target`` points to ``source``."""
    import numpy as np

    matrix, vector = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        matrix.append([u, v, 1, 0, 0, 0, -x * u, -x * v])
        matrix.append([0, 0, 0, u, v, 1, -y * u, -y * v])
        vector.extend([x, y])
    return np.linalg.solve(np.array(matrix, dtype=float), np.array(vector, dtype=float)).tolist()
