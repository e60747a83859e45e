# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Accuracy of the digitization core (text → fields) on a generated corpus, with real OCR.

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

from ..tools import digitization, document_text, invoice_extract
from . import digitization_corpus as corpus

TEXT_PDF_TARGET = 0.98
SCAN_TARGET = 0.90
FIELDS = [
    "vendor_vat",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "lines",
]


def field_correct(key, expected, found):
    if key == "lines":
        found = [(row["quantity"], row["price_unit"], row["amount"]) for row in found or []]
        return len(found) == len(expected) and all(
            all(abs(a - b) < 0.005 for a, b in zip(got, want, strict=True))
            for got, want in zip(found, expected, strict=True)
        )
    if isinstance(expected, float):
        return found is not None and abs(found - expected) < 0.005
    return found == expected


class TestDigitizationAccuracy(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def read(bill):
            pdf = corpus.render_pdf(bill)
            scan, mimetype = corpus.render_scan(bill, pdf)
            return [
                (bill, "text", "application/pdf", document_text.document_to_text(pdf, "application/pdf")),
                (bill, "scan", mimetype, document_text.document_to_text(scan, mimetype)),
            ]

        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores
            reads = [item for items in pool.map(read, corpus.BILLS) for item in items]
        cls.results = []
        for bill, subset, mimetype, document in reads:
            values = digitization.extract_fields("invoice", document.text, exclude_vats=[corpus.CUSTOMER_VAT])
            cls.results.append((bill, subset, mimetype, document, values))
        cls.table = cls._accuracy_table()
        cls._printed = False

    if pytest:

        @pytest.fixture(autouse=True)
        def _print_report_once(self, request):
            """Print the accuracy table to the terminal, past pytest's output capture."""
            yield
            if type(self)._printed:
                return
            type(self)._printed = True
            capture = request.config.pluginmanager.getplugin("capturemanager")
            terminal = request.config.pluginmanager.getplugin("terminalreporter")
            with capture.global_and_fixture_disabled():
                terminal.write_line("")
                for line in self.table["report"].splitlines():
                    terminal.write_line(line)

    @classmethod
    def _accuracy_table(cls):
        counts = {(subset, key): [0, 0] for subset in ("text", "scan") for key in FIELDS}
        misses = []
        for bill, subset, mimetype, _read, values in cls.results:
            for key, expected in bill.truth().items():
                ok = field_correct(key, expected, values.get(key))
                counts[subset, key][0] += ok
                counts[subset, key][1] += 1
                if not ok:
                    misses.append(
                        f"  {subset:4} {bill.key} ({mimetype}) {key}: want {expected!r}, got {values.get(key)!r}"
                    )
        totals = {
            subset: [sum(counts[subset, key][index] for key in FIELDS) for index in (0, 1)]
            for subset in ("text", "scan")
        }
        lines = [
            "Digitization accuracy (fields correct / fields printed)",
            f"{'field':16} {'text PDF':>14} {'scanned':>14}",
        ]
        for key in FIELDS:
            text, scan = counts["text", key], counts["scan", key]
            lines.append(f"{key:16} {text[0]:>6}/{text[1]:<3} {scan[0]:>8}/{scan[1]:<3}")
        ratio = {subset: totals[subset][0] / totals[subset][1] for subset in totals}
        text, scan = totals["text"], totals["scan"]
        lines.append(f"{'all fields':16} {text[0]:>6}/{text[1]:<3} {scan[0]:>8}/{scan[1]:<3}")
        lines.append(
            f"{'accuracy':16} {ratio['text']:>13.1%} {ratio['scan']:>13.1%}"
            f"   (targets {TEXT_PDF_TARGET:.0%} / {SCAN_TARGET:.0%}; {len(corpus.BILLS)} bills each)"
        )
        return {"ratio": ratio, "report": "\n".join(lines + misses)}

    def test_accuracy_text_pdfs(self):
        self.assertGreaterEqual(self.table["ratio"]["text"], TEXT_PDF_TARGET, self.table["report"])

    def test_accuracy_scans(self):
        self.assertGreaterEqual(self.table["ratio"]["scan"], SCAN_TARGET, self.table["report"])

    def test_ocr_only_where_needed(self):
        for bill, subset, mimetype, read, _values in self.results:
            with self.subTest(bill=bill.key, subset=subset):
                self.assertEqual(read.method, "text" if subset == "text" else "ocr", mimetype)

    def test_corpus_is_varied(self):
        self.assertGreaterEqual(len(corpus.BILLS), 12)
        self.assertEqual({bill.lang for bill in corpus.BILLS}, {"en", "fr", "de"})
        self.assertEqual({mimetype for _b, subset, mimetype, _r, _v in self.results if subset == "scan"},
                         {"application/pdf", "image/png", "image/jpeg"})  # fmt: skip
        self.assertGreaterEqual(len({bill.currency for bill in corpus.BILLS}), 4)
        self.assertGreaterEqual(len({bill.date_format for bill in corpus.BILLS}), 6)


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
                self.assertAlmostEqual(invoice_extract.parse_amount(raw), expected)

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
                self.assertEqual(invoice_extract.parse_date(raw, languages, order), date)
        self.assertIsNone(invoice_extract.parse_date("99/99/2025", ["en"], "DMY"))

    def test_vat_numbers_are_validated_and_exclude_the_company(self):
        text = "Vendor VAT: DE 811 569 869\nCustomer VAT: BE0477472701\nFake: FR12345678901\nOCR: GB98O78O684"
        self.assertEqual(
            invoice_extract.find_vat_numbers(text, exclude=["BE 0477.472.701"]), ["DE811569869", "GB980780684"]
        )
        self.assertEqual(invoice_extract.compact_vat("CHE-116.281.710 MWST"), "CHE116281710")

    def test_amounts_must_agree(self):
        text = "Subtotal 100.00\nVAT 21% 21.00\nTotal 121.00\nTotal 999.99 (previous balance)"
        values = invoice_extract.extract_invoice(text)
        self.assertEqual((values["amount_untaxed"], values["amount_tax"], values["amount_total"]), (100.0, 21.0, 121.0))

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
