# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Accuracy of the digitization core (text → fields) on generated corpora, with real OCR.

No ORM here: :mod:`..tools` is plain Python. Tesseract really runs, once per corpus
document for the whole class (two at a time: the machine has two cores).
"""

import datetime
import io
from concurrent.futures import ThreadPoolExecutor

from odoo.tests.common import BaseCase

try:
    import pytest
except ImportError:  # Odoo's own test runner
    pytest = None

from ..tools import digitization, document_text, document_values, invoice_extract, vat_numbers
from . import digitization_corpus as corpus
from . import digitization_receipts_corpus as receipts

# Share of the printed fields read right, per document type and kind of copy.
TARGETS = {
    ("invoice", "text"): 0.98,
    ("invoice", "scan"): 0.90,
    ("invoice", "harsh"): 0.90,
    ("receipt", "text"): 0.95,
    ("receipt", "photo"): 0.90,
}
SUBSETS = {"invoice": ("text", "scan", "harsh"), "receipt": ("text", "photo")}
SUBSET_TITLES = {"text": "text PDF", "scan": "scanned", "harsh": "harsh scan", "photo": "phone photo"}
FIELDS = {
    "invoice": [
        "vendor_vat",
        "invoice_number",
        "invoice_date",
        "due_date",
        "currency",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "lines",
    ],
    "receipt": ["vendor_name", "vendor_vat", "date", "currency", "amount_total", "amount_tax", "category"],
}


def field_correct(key, expected, found):
    if key == "lines":
        found = [(row["quantity"], row["price_unit"], row["amount"]) for row in found or []]
        return len(found) == len(expected) and all(
            all(abs(a - b) < 0.005 for a, b in zip(got, want, strict=True))
            for got, want in zip(found, expected, strict=True)
        )
    if isinstance(expected, float):
        return found is not None and abs(found - expected) < 0.005
    if key == "vendor_name":  # as printed; case and spacing aside
        return " ".join(str(found or "").casefold().split()) == " ".join(expected.casefold().split())
    return found == expected


def _render(document_type, item, subset):
    """The document of ``item`` as a copy of kind ``subset``: (data, mimetype)."""
    if document_type == "receipt":
        pdf = receipts.render_pdf(item)
        return (pdf, "application/pdf") if subset == "text" else receipts.render_photo(item, pdf)
    pdf = corpus.render_pdf(item)
    if subset == "text":
        return pdf, "application/pdf"
    return corpus.render_scan(item, pdf) if subset == "scan" else corpus.render_harsh(item, pdf)


class TestDigitizationAccuracy(BaseCase):
    """Bills (text PDFs, scans, harsh scans and phone photos) and till receipts (text PDFs,
    phone photos), each read once by Tesseract (or its text layer), then extracted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        jobs = [
            (document_type, item, subset)
            for document_type, items in (("invoice", corpus.BILLS), ("receipt", receipts.RECEIPTS))
            for item in items
            for subset in SUBSETS[document_type]
        ]

        def read(job):
            document_type, item, subset = job
            data, mimetype = _render(document_type, item, subset)
            return (*job, mimetype, document_text.document_to_text(data, mimetype))

        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores
            reads = list(pool.map(read, jobs))
        cls.results = []
        cls.receipt_results = []
        for document_type, item, subset, mimetype, document in reads:
            values = digitization.extract_fields(document_type, document.text, exclude_vats=[corpus.CUSTOMER_VAT])
            target = cls.results if document_type == "invoice" else cls.receipt_results
            target.append((item, subset, mimetype, document, values))
        cls.tables = {
            "invoice": cls._accuracy_table("invoice", cls.results, "bills"),
            "receipt": cls._accuracy_table("receipt", cls.receipt_results, "receipts"),
        }
        cls._printed = False

    if pytest:

        @pytest.fixture(autouse=True)
        def _print_report_once(self, request):
            """Print the accuracy tables to the terminal, past pytest's output capture."""
            yield
            if type(self)._printed:
                return
            type(self)._printed = True
            capture = request.config.pluginmanager.getplugin("capturemanager")
            terminal = request.config.pluginmanager.getplugin("terminalreporter")
            with capture.global_and_fixture_disabled():
                terminal.write_line("")
                for table in self.tables.values():
                    for line in table["report"].splitlines():
                        terminal.write_line(line)

    @classmethod
    def _accuracy_table(cls, document_type, results, noun):
        subsets, fields = SUBSETS[document_type], FIELDS[document_type]
        counts = {(subset, key): [0, 0] for subset in subsets for key in fields}
        misses = []
        for item, subset, mimetype, _read, values in results:
            for key, expected in item.truth().items():
                ok = field_correct(key, expected, values.get(key))
                counts[subset, key][0] += ok
                counts[subset, key][1] += 1
                if not ok:
                    misses.append(
                        f"  {subset:5} {item.key} ({mimetype}) {key}: want {expected!r}, got {values.get(key)!r}"
                    )
        totals = {subset: [sum(counts[subset, key][index] for key in fields) for index in (0, 1)] for subset in subsets}
        ratio = {subset: totals[subset][0] / totals[subset][1] for subset in subsets}
        items = len({item.key for item, *_rest in results})
        lines = [
            f"Digitization accuracy of {noun} (fields correct / fields printed)",
            f"{'field':16}" + "".join(f" {SUBSET_TITLES[subset]:>13}" for subset in subsets),
        ]
        for key in fields:
            lines.append(
                f"{key:16}" + "".join(f" {counts[subset, key][0]:>8}/{counts[subset, key][1]:<4}" for subset in subsets)
            )
        lines.append(
            f"{'all fields':16}" + "".join(f" {totals[subset][0]:>8}/{totals[subset][1]:<4}" for subset in subsets)
        )
        lines.append(
            f"{'accuracy':16}"
            + "".join(f" {ratio[subset]:>12.1%} " for subset in subsets)
            + "  (targets "
            + " / ".join(f"{TARGETS[document_type, subset]:.0%}" for subset in subsets)
            + f"; {items} {noun} each)"
        )
        return {"ratio": ratio, "report": "\n".join(lines + misses)}

    def assertTarget(self, document_type, subset):
        table = self.tables[document_type]
        self.assertGreaterEqual(table["ratio"][subset], TARGETS[document_type, subset], table["report"])

    def test_accuracy_text_pdfs(self):
        self.assertTarget("invoice", "text")

    def test_accuracy_scans(self):
        self.assertTarget("invoice", "scan")

    def test_accuracy_harsh_scans(self):
        """100-150 dpi, skewed up to 5°, JPEG quality 30-40, half of them photographed on a desk."""
        self.assertTarget("invoice", "harsh")

    def test_accuracy_receipts_text_pdfs(self):
        self.assertTarget("receipt", "text")

    def test_accuracy_receipt_photos(self):
        """Phone photos of thermal receipts: perspective, skew, shadow, faded print, JPEG 30-40."""
        self.assertTarget("receipt", "photo")

    def test_ocr_only_where_needed(self):
        for item, subset, mimetype, read, _values in self.results + self.receipt_results:
            with self.subTest(item=item.key, subset=subset):
                self.assertEqual(read.method, "text" if subset == "text" else "ocr", mimetype)

    def test_corpus_is_varied(self):
        self.assertGreaterEqual(len(corpus.BILLS), 12)
        self.assertEqual({bill.lang for bill in corpus.BILLS}, {"en", "fr", "de"})
        self.assertEqual({mimetype for _b, subset, mimetype, _r, _v in self.results if subset == "scan"},
                         {"application/pdf", "image/png", "image/jpeg"})  # fmt: skip
        self.assertGreaterEqual(len({bill.currency for bill in corpus.BILLS}), 4)
        self.assertGreaterEqual(len({bill.date_format for bill in corpus.BILLS}), 6)
        self.assertIn("two_column", {bill.layout for bill in corpus.BILLS})
        self.assertGreaterEqual(len(receipts.RECEIPTS), 10)
        self.assertEqual({receipt.lang for receipt in receipts.RECEIPTS}, {"en", "fr", "de"})
        self.assertGreaterEqual(len({receipt.currency for receipt in receipts.RECEIPTS}), 4)
        self.assertGreaterEqual(len({receipt.category for receipt in receipts.RECEIPTS}), 4)
        layouts = {receipt.layout for receipt in receipts.RECEIPTS}
        self.assertTrue({"inline", "cash", "two_rates", "balance"} <= layouts, layouts)

    def test_harsh_copies_are_harsh(self):
        """The harsh copies are what the targets are about: JPEG at quality 30-40, at most 150 dpi."""
        from PIL import Image

        for document_type, item in [("invoice", corpus.BILLS[0]), ("invoice", corpus.BILLS[1]),
                                    ("receipt", receipts.RECEIPTS[0])]:  # fmt: skip
            data, mimetype = _render(document_type, item, "harsh" if document_type == "invoice" else "photo")
            self.assertEqual(mimetype, "image/jpeg")
            image = Image.open(io.BytesIO(data))
            quality = _jpeg_quality(image)
            self.assertTrue(30 <= quality <= 40, f"{item.key}: JPEG quality {quality}")
            page_width = 8.27 if document_type == "invoice" else receipts.ROLL_WIDTH / 72
            self.assertLessEqual(image.width / page_width, 150 * 1.6, "at most 150 dpi on the paper")


def _jpeg_quality(image):
    """The quality a JPEG was saved at, from its luminance quantisation table (IJG scaling)."""
    table = image.quantization[0]
    standard_first = 16  # the first coefficient of the standard luminance table, at quality 50
    scale = table[0] * 100 / standard_first
    return round((200 - scale) / 2) if scale <= 100 else round(5000 / scale)


class TestDigitizationParsers(BaseCase):
    """The field parsers on their own: formats, checksums, refusals."""

    def test_amounts(self):
        for raw, expected in [
            ("1.234,56 €", 1234.56),
            ("1,234.56", 1234.56),
            ("1 234,56", 1234.56),
            ("CHF 1'234.50", 1234.50),
            ("$99.00", 99.0),
            ("123,45", 123.45),
        ]:
            with self.subTest(raw=raw):
                self.assertAlmostEqual(document_values.parse_amount(raw), expected)

    def test_dates(self):
        date = datetime.date(2025, 3, 5)
        for raw, languages, order in [
            ("05/03/2025", ["fr"], "DMY"),
            ("03/05/2025", ["en"], "MDY"),
            ("05.03.2025", ["de"], "DMY"),
            ("2025-03-05", ["en"], "DMY"),
            ("5 mars 2025", ["fr"], "DMY"),
            ("5. März 2025", ["de"], "DMY"),
            ("March 5th, 2025", ["en"], "DMY"),
        ]:
            with self.subTest(raw=raw):
                self.assertEqual(document_values.parse_date(raw, languages, order), date)
        self.assertIsNone(document_values.parse_date("99/99/2025", ["en"], "DMY"))

    def test_vat_numbers_are_validated_and_exclude_the_company(self):
        text = "Vendor VAT: DE 811 569 869\nCustomer VAT: BE0477472701\nFake: FR12345678901\nOCR: GB98O78O684"
        self.assertEqual(
            vat_numbers.find_vat_numbers(text, exclude=["BE 0477.472.701"]), ["DE811569869", "GB980780684"]
        )
        self.assertEqual(vat_numbers.compact_vat("CHE-116.281.710 MWST"), "CHE116281710")

    def test_amounts_must_agree(self):
        text = "Subtotal 100.00\nVAT 21% 21.00\nTotal 121.00\nTotal 999.99 (previous balance)"
        values = invoice_extract.extract_invoice(text)
        self.assertEqual((values["amount_untaxed"], values["amount_tax"], values["amount_total"]), (100.0, 21.0, 121.0))

    def test_ocr_slips_are_repaired_only_when_unambiguous(self):
        date = datetime.date(2025, 3, 4)
        self.assertEqual(document_values.parse_date("04-83-2025", ["fr"], "DMY"), date, "a 0 read as 8")
        self.assertEqual(document_values.parse_date("Mar 4, 2625", ["en"], "MDY"), date, "in the year")
        self.assertIsNone(document_values.parse_date("99/99/2025", ["en"], "DMY"), "not a date at all")
        # A VAT number with a 0 read as 6, labelled as such: repaired; the same digits in an IBAN: not.
        self.assertEqual(vat_numbers.find_vat_numbers("N° TVA BE 6214.596.464"), ["BE0214596464"])
        self.assertEqual(vat_numbers.find_vat_numbers("IBAN DE89 3704 0044 0532 0130 00"), [])

    def test_receipt_total_is_the_one_the_others_agree_with(self):
        cases = [
            # (text, total, tax): the cash given is not the total, nor is the subtotal.
            ("Shop\nSubtotal 20.00\nVAT 20% 4.00\nTOTAL 24.00\nCash 30.00\nChange 6.00", 24.0, 4.0),
            # Subtotal, tax and total on one line; the total is not the line's last amount.
            ("Shop\nSubtotal 28.94 HST 13% 3.76 TOTAL CAD 32.70 Balance due 0.00\nCard 32.70", 32.7, 3.76),
            # The TOTAL misread (0 as 8); the card payment, the items and the tax agree on the truth.
            ("Shop\nSoup 12.50\nFish 28.00\nWater 4.50\nTax 15% 5.87\nTOTAL 45.80\nCard 45.00", 45.0, 5.87),
            # Two rates: the tax is the sum of their lines.
            ("Cafe\nTotal HT 52.07\nTVA 10% 4.03\nTVA 20% 3.00\nTOTAL TTC 59.10 €", 59.1, 7.03),
        ]
        for text, total, tax in cases:
            with self.subTest(text=text):
                values = digitization.extract_fields("receipt", text)
                self.assertEqual((values["amount_total"], values["amount_tax"]), (total, tax))
        self.assertEqual(
            digitization.extract_fields("receipt", "Taxi Berlin\nFahrt 10,00\nSumme 10,00")["category"], "travel"
        )

    def test_unreadable_documents(self):
        from PIL import Image

        blank = io.BytesIO()
        Image.new("L", (800, 1100), 255).save(blank, "PNG")
        for data, mimetype in [
            (blank.getvalue(), "image/png"),
            (b"%PDF-1.4 this is not a pdf", "application/pdf"),
            (b"", "application/pdf"),
            (b"hello", "text/plain"),
        ]:
            with self.subTest(mimetype=mimetype, size=len(data)), self.assertRaises(document_text.DocumentError):
                document_text.document_to_text(data, mimetype)

    def test_upscaling_stays_within_the_pixel_cap(self):
        from PIL import Image

        photo = Image.new("L", (2000, 1500), 255)  # 2000 px wide: assumed ~242 dpi on A4, read as is
        small = Image.new("L", (1000, 750), 255)  # ~121 dpi: enlarged for Tesseract
        image, dpi = document_text._prepare_image(small, max_pixels=3_000_000)
        self.assertLessEqual(image.width * image.height, 3_000_000, "never enlarged past the cap")
        self.assertGreater(image.width, 1000)
        self.assertGreater(dpi, 121)
        image, dpi = document_text._prepare_image(small, max_pixels=500_000)
        self.assertEqual(image.size, (1000, 750), "already over the cap: not enlarged at all")
        self.assertEqual(document_text._prepare_image(photo)[0].size, (2000, 1500))

    def test_caps_of_a_document(self):
        limits = document_text.DocumentLimits(max_bytes=1000, max_pages=1, max_pixels=1_000_000, max_seconds=5)
        with self.assertRaises(document_text.DocumentLimitError) as caught:
            document_text.check_document(b"%PDF" + b" " * 1000, "application/pdf", limits)
        self.assertEqual((caught.exception.limit, caught.exception.value), ("bytes", 1004))
        pdf = corpus.render_pdf(corpus.BILLS[0])
        with self.assertRaises(document_text.DocumentLimitError) as caught:
            # An A4 page is 8.7 Mpx at 300 dpi: it fits 1 Mpx only below 150 dpi.
            document_text.check_document(pdf, "application/pdf", limits.__class__(max_pixels=1_000_000))
        self.assertEqual((caught.exception.limit, caught.exception.page), ("pixels", 1))
        # 4 Mpx fits an A4 page at ~165 dpi: read at that resolution, not refused.
        document_text.check_document(pdf, "application/pdf", limits.__class__(max_pixels=4_000_000))

    def test_extension_point(self):
        @digitization.register_extractor("test_receipt", essential_fields=("shop",))
        def extract_receipt(text, **_context):
            return {"shop": text.splitlines()[0] if text else None}

        try:
            values = digitization.extract_fields("test_receipt", "Corner Shop\nTotal 3.00")
            self.assertEqual(values, {"shop": "Corner Shop"})
            self.assertTrue(digitization.is_successful("test_receipt", values))
            self.assertFalse(digitization.is_successful("test_receipt", {"shop": None}))
        finally:
            digitization.EXTRACTORS.pop("test_receipt")
            digitization.ESSENTIAL_FIELDS.pop("test_receipt")
