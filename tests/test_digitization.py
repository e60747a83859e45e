# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Digitizing vendor bills: queue, filling, charging, failures, gateways.

Tesseract and the PDF text layer really run; the external extraction API is a small
HTTP server on 127.0.0.1 that our gateway speaks real HTTP to.
"""

import base64
import io
import json
import struct
import textwrap
import threading
import time
import uuid
import zlib
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, tagged

from . import digitization_corpus as corpus
from .common import IapCreditsCase
from .local_server import QuietHandler, serve


class ExtractionApi(QuietHandler):
    """Stands in for an external extraction API: answers by the file name it receives."""

    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"body": body, "authorization": self.headers.get("Authorization")})
        name = body.get("filename") or ""
        if "crash" in name:
            self.send_response(500)
            self.end_headers()
            return
        if "blank" in name:
            answer = {"status": "unreadable", "error": "Blank page"}
        else:
            answer = {
                "status": "success",
                "fields": {
                    "vendor_vat": "DE811569869",
                    "invoice_number": f"API-{name.split('.')[0]}",
                    "invoice_date": "2025-03-05",
                    "due_date": "2025-04-04",
                    "currency": "EUR",
                    "amount_untaxed": 100.0,
                    "amount_tax": 19.0,
                    "amount_total": 119.0,
                    "lines": [],
                },
            }
        self._answer(200, json.dumps(answer))


class TestDigitization(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vat = corpus.CUSTOMER_VAT  # printed on every bill: never the vendor
        cls.env.ref("base.GBP").active = True
        cls.env.ref("base.EUR").active = True
        cls.service_ocr = cls.env.ref("iap_credits.iap_service_invoice_ocr")
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        cls.vendor_gb = cls.env["res.partner"].create(
            {"name": "Northwind Traders Ltd", "is_company": True, "vat": "GB 980 780 684"}
        )
        bills = {bill.key: bill for bill in corpus.BILLS}
        cls.bill_gb = bills["en_gb_classic"]
        cls.pdf_gb = corpus.render_pdf(cls.bill_gb)
        cls.pdf_fr = corpus.render_pdf(bills["fr_classic"])

    def setUp(self):
        super().setUp()
        self.ocr_account.invalidate_recordset()
        self.balance = self.ocr_account.credit_balance

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _bill(self, data, mimetype="application/pdf", name="bill.pdf", move_type="in_invoice", **values):
        move = self.env["account.move"].create({"move_type": move_type, **values})
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": data, "mimetype": mimetype, "res_model": "account.move", "res_id": move.id}
        )
        move.message_main_attachment_id = attachment
        return move

    def _blank_png(self):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (1240, 1754), 255).save(buffer, "PNG")
        return buffer.getvalue()

    def _pdf(self, pages=1, width=595, height=842, contents=None):
        """A PDF written by pypdf: blank pages of the given size, or one page with ``contents``
        as its (already compressed, FlateDecode) content stream."""
        from pypdf import PdfWriter
        from pypdf.generic import NameObject, StreamObject

        writer = PdfWriter()
        for _number in range(pages):
            page = writer.add_blank_page(width, height)
            if contents is not None:
                stream = StreamObject()
                stream._data = contents  # as it is: already compressed
                stream[NameObject("/Filter")] = NameObject("/FlateDecode")
                page[NameObject("/Contents")] = writer._add_object(stream)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    def _flate_bomb(self, size=80_000_000):
        """``size`` bytes of spaces, compressed to ~0.1% of that: more than pypdf expands."""
        compressor = zlib.compressobj(9)
        chunk = b" " * 1_000_000
        return b"".join(compressor.compress(chunk) for _ in range(size // len(chunk))) + compressor.flush()

    def _gif_header_only(self, width, height):
        """A GIF of a few bytes that declares ``width`` by ``height`` pixels."""
        return (
            b"GIF89a"
            + struct.pack("<HHBBB", width, height, 0, 0, 0)
            + b"\x2c"
            + struct.pack("<HHHHB", 0, 0, width, height, 0)
            + b"\x02\x02\x4c\x01\x00\x3b"
        )

    def _large_image(self, width, height):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (width, height), 255).save(buffer, "GIF")
        return buffer.getvalue()

    def _scanned_pdf(self, scan_png, pages):
        """A PDF of ``pages`` copies of a scanned page at 300 dpi, with no text layer."""
        from PIL import Image

        page = Image.open(io.BytesIO(scan_png)).convert("L")
        buffer = io.BytesIO()
        page.save(buffer, "PDF", resolution=300, save_all=True, append_images=[page.copy() for _i in range(pages - 1)])
        return buffer.getvalue()

    def _set_param(self, key, value):
        self.env["ir.config_parameter"].set_param(key, str(value))

    def _ledger(self):
        self.ocr_account.invalidate_recordset()
        return (
            self.ocr_account.credit_balance,
            self.ocr_account.credit_reserved,
            self.ocr_account.transaction_ids.filtered(lambda t: t.kind == "capture").mapped("credits"),
        )

    def _start_api(self):
        ExtractionApi.requests = []
        url = serve(self, ExtractionApi)
        self.ocr_account.write(
            {
                "digitization_gateway": "http",
                "digitization_http_url": f"{url}/extract",
                "digitization_http_api_key": "s3cret",
            }
        )

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_digitize_fills_the_bill_and_charges_one_credit(self):
        move = self._bill(self.pdf_gb)
        self.assertTrue(move.digitization_can_request)
        move.action_digitize()
        self.assertEqual(move.digitization_state, "to_do")
        self.assertCredits(self.ocr_account, self.balance)  # queued: nothing held yet

        self.assertEqual(self.env["account.move"]._digitize_queued(), 1)
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertEqual(move.partner_id, self.vendor_gb, "matched by the VAT number printed on the bill")
        self.assertEqual(move.ref, "INV-2025-0042")
        self.assertEqual(move.invoice_date, fields.Date.to_date("2025-03-05"))
        self.assertEqual(move.invoice_date_due, fields.Date.to_date("2025-04-04"))
        self.assertEqual(move.currency_id.name, "GBP")
        self.assertEqual(
            [(line.quantity, line.price_unit) for line in move.invoice_line_ids], [(4, 129.5), (1, 489.0), (1, 35.0)]
        )
        self.assertAlmostEqual(move.amount_untaxed, 1042.0)
        self.assertCredits(self.ocr_account, self.balance - 1)
        hold = self.ocr_account.transaction_ids.filtered(lambda t: t.origin_ref == move)
        self.assertEqual(hold.kind, "reservation")
        self.assertEqual(
            self.ocr_account.transaction_ids.filtered(lambda t: t.hold_id == hold).mapped("kind"), ["capture"]
        )
        self.assertIn("Document digitized", move.message_ids[0].body)

        # The queue is empty: running it again charges nothing more.
        self.assertEqual(self.env["account.move"]._digitize_queued(), 0)
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_expired_hold_settled_by_the_bill(self):
        """Crash point "after the business commit, before the capture": a worker died
        after committing the digitized bill, its hold left open. The expiry job captures
        the bill's latest hold when the bill is recorded as digitized, and releases the
        others (work not recorded, or an earlier request of the same bill)."""
        past = fields.Datetime.now() - timedelta(minutes=1)
        done, queued = self._bill(self.pdf_gb), self._bill(self.pdf_gb)
        older = self.ocr_account._credits_reserve(1, "earlier request", origin=done, expires_at=past)
        latest = self.ocr_account._credits_reserve(1, "digitized, not captured", origin=done, expires_at=past)
        lost = self.ocr_account._credits_reserve(1, "worker died before its commit", origin=queued, expires_at=past)
        done.digitization_state = "done"
        queued.digitization_state = "to_do"
        self.assertEqual(self.env["iap.account"]._release_expired_holds(), 3)
        for hold, state in ((older, "released"), (latest, "captured"), (lost, "released")):
            hold.invalidate_recordset(["hold_state"])
            self.assertEqual(hold.hold_state, state, hold.description)
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_never_overwrites_what_the_user_typed(self):
        other = self.env["res.partner"].create({"name": "Someone Else", "is_company": True})
        move = self._bill(
            self.pdf_gb,
            partner_id=other.id,
            ref="MY-REF",
            invoice_line_ids=[fields.Command.create({"name": "Typed line", "quantity": 1, "price_unit": 10})],
        )
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done")
        self.assertEqual((move.partner_id, move.ref), (other, "MY-REF"))
        self.assertEqual(move.invoice_line_ids.mapped("name"), ["Typed line"])
        self.assertEqual(move.invoice_date, fields.Date.to_date("2025-03-05"), "empty fields are still filled")

    def test_unreadable_document_is_not_charged(self):
        move = self._bill(self._blank_png(), "image/png", "blank.png")
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual((move.digitization_state, move.digitization_error_code), ("failed", "unreadable"))
        self.assertTrue(move.digitization_error)
        self.assertFalse(move.invoice_line_ids)
        self.assertCredits(self.ocr_account, self.balance)
        self.assertIn("nothing was charged", move.message_ids[0].body)

    def test_insufficient_credit_shows_buy_credit(self):
        self.ocr_account._credits_debit(self.ocr_account.credit_available, "Spent elsewhere")
        move = self._bill(self.pdf_gb)
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual((move.digitization_state, move.digitization_error_code), ("failed", "no_credit"))
        self.assertIn("Not enough", move.digitization_error)
        self.assertTrue(move.digitization_credits_url)
        self.assertEqual(move.action_digitization_buy_credits()["url"], move.digitization_credits_url)
        self.assertFalse(move.ref)
        self.assertCredits(self.ocr_account, 0)

        # Credits bought: the bill can be digitized again.
        self.ocr_account._credits_grant(1, "Bought")
        self.assertTrue(move.digitization_can_request)
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done")
        self.assertCredits(self.ocr_account, 0)

    def test_engine_failure_is_not_charged(self):
        self.ocr_account.digitization_languages = "xyz"  # a language Tesseract does not have
        move = self._bill(self._blank_png(), "image/png", "scan.png")
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual((move.digitization_state, move.digitization_error_code), ("failed", "engine"))
        self.assertIn("xyz", move.digitization_error)
        self.assertCredits(self.ocr_account, self.balance)

    def test_queue_survives_an_engine_crash(self):
        self._start_api()
        moves = [self._bill(self.pdf_fr, name=name) for name in ("first.pdf", "crash.pdf", "third.pdf")]
        for move in moves:
            move.action_digitize()
        self.assertEqual(self.env["account.move"]._digitize_queued(limit=10), 3)
        self.assertEqual([move.digitization_state for move in moves], ["done", "failed", "done"])
        self.assertEqual(moves[1].digitization_error_code, "engine")
        self.assertIn("500", moves[1].digitization_error)
        self.assertEqual([move.ref for move in moves], ["API-first", False, "API-third"])
        self.assertCredits(self.ocr_account, self.balance - 2)

    def test_http_gateway(self):
        self._start_api()
        vendor = self.env["res.partner"].create(
            {"name": "Müller Bürobedarf GmbH", "is_company": True, "vat": "DE811569869"}
        )
        move = self._bill(self.pdf_fr, name="api.pdf")
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertEqual((move.partner_id, move.ref), (vendor, "API-api"))
        self.assertEqual(move.invoice_date, fields.Date.to_date("2025-03-05"))
        self.assertAlmostEqual(
            move.amount_total, 119.0, msg="no 19% purchase tax in the company: one line of the total"
        )
        request = ExtractionApi.requests[0]
        self.assertEqual(request["authorization"], "Bearer s3cret")
        self.assertEqual(base64.b64decode(request["body"]["document"]), self.pdf_fr)
        self.assertEqual(request["body"]["exclude_vats"], [corpus.CUSTOMER_VAT])
        self.assertCredits(self.ocr_account, self.balance - 1)

        blank = self._bill(self.pdf_fr, name="blank.pdf")
        blank.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual((blank.digitization_state, blank.digitization_error), ("failed", "Blank page"))
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_vendor_is_never_guessed(self):
        move = self.env["account.move"].create({"move_type": "in_invoice"})
        find = move._digitization_find_vendor
        twin = self.env["res.partner"].create({"name": "Twin Trading", "is_company": True})
        self.env["res.partner"].create({"name": "Twin Trading", "is_company": True})
        self.assertFalse(find({"vendor_name": "Twin Trading"}), "two partners of that name")
        self.assertFalse(find({"vendor_name": "Twin", "text": "Twin Trading Ltd\nTwin Trading"}))
        twin.name = "Twin Trading Unique"
        self.assertEqual(find({"text": "Bill from Twin Trading Unique\nTotal 10.00"}), twin)
        twin.vat = "DE811569869"
        self.assertFalse(
            find({"vendor_vat": "DE293714677", "text": "Twin Trading Unique"}), "printed VAT differs from the partner's"
        )
        self.assertEqual(find({"vendor_vat": "DE 811.569.869"}), twin)
        self.assertFalse(find({"vendor_vat": corpus.CUSTOMER_VAT, "vendor_name": self.company.name}))

    def test_digitize_refuses_bad_input(self):
        customer_invoice = self._bill(self.pdf_gb, move_type="out_invoice")
        no_document = self.env["account.move"].create({"move_type": "in_invoice"})
        text_file = self._bill(b"hello", "text/plain", "notes.txt")
        for move in (customer_invoice, no_document, text_file):
            with self.subTest(move=move.move_type), self.assertRaises(UserError):
                move.action_digitize()
            self.assertFalse(move.digitization_state)
        queued = self._bill(self.pdf_gb)
        queued.action_digitize()
        with self.assertRaises(UserError):
            queued.action_digitize()

    def test_upload_queues_when_automatic(self):
        self.ocr_account.digitization_auto = True
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company), ("type", "=", "purchase")], limit=1
        )
        attachment = self.env["ir.attachment"].create(
            {"name": "upload.pdf", "raw": self.pdf_gb, "mimetype": "application/pdf"}
        )
        journal.with_context(default_move_type="in_invoice").create_document_from_attachment(attachment.ids)
        move = self.env["account.move"].search([("digitization_attachment_id", "=", attachment.id)])
        self.assertEqual(move.digitization_state, "to_do")
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.ref, "INV-2025-0042")

        self.ocr_account.digitization_auto = False
        other = self.env["ir.attachment"].create(
            {"name": "manual.pdf", "raw": self.pdf_gb, "mimetype": "application/pdf"}
        )
        journal.with_context(default_move_type="in_invoice").create_document_from_attachment(other.ids)
        manual = self.env[other.res_model].browse(other.res_id)
        self.assertTrue(manual)
        self.assertFalse(manual.digitization_state)

    def test_demo_scanned_bill(self):
        """The demo: a scanned bill, Digitize, real OCR, one credit spent."""
        move = self.env.ref("iap_credits.account_move_digitize_demo", raise_if_not_found=False)
        if not move:
            self.skipTest("demo data not installed")
        demo_account = self.env.ref("iap_credits.iap_account_invoice_ocr_demo")
        self.assertEqual(self.env["iap.credit.dispatch"]._get_account("invoice_ocr", move.company_id), demo_account)
        self.company.vat = False  # the demo scan prints no customer VAT
        balance = demo_account.credit_balance
        move.action_digitize()
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertEqual(move.partner_id, self.env.ref("iap_credits.res_partner_kiwi_office_demo"))
        self.assertEqual(move.ref, "KOS-2025-0117")
        self.assertEqual(move.invoice_date, fields.Date.to_date("2025-03-05"))
        self.assertEqual(len(move.invoice_line_ids), 2)
        self.assertAlmostEqual(move.amount_total, 922.30)
        self.assertCredits(demo_account, balance - 1)

    # ------------------------------------------------------------
    # UNTRUSTED FILES: CAPS, ATTEMPTS, EMAILED BILLS
    # ------------------------------------------------------------

    def test_documents_over_a_cap_fail_clearly_and_are_not_charged(self):
        scan = next(bill for bill in corpus.BILLS if bill.scan_kind == "png")
        scan_png, _mimetype = corpus.render_scan(scan)
        cases = [
            # (what, data, mimetype, parameters, expected words of the reason, refused before any hold)
            ("oversized file", self.pdf_gb, "application/pdf", {"max_bytes": len(self.pdf_gb) - 1}, "more than", True),
            ("too many pages", self._pdf(pages=11), "application/pdf", {}, "11 pages", True),
            ("huge page", self._pdf(width=14400, height=14400), "application/pdf", {}, "megapixels", True),
            # GIF: Odoo shrinks uploaded PNG/JPEG/BMP/TIFF to 1920 px, but not GIF or WebP.
            ("huge image", self._large_image(6000, 5000), "image/gif", {}, "30.0 megapixels", True),
            ("image bomb", self._gif_header_only(30000, 30000), "image/gif", {}, "megapixels", True),
            ("flate bomb", self._pdf(contents=self._flate_bomb()), "application/pdf", {}, "compressed data", False),
            # Ten scanned pages (the most a document may have), each rasterised and read by
            # Tesseract: several seconds on any machine, so past a 1-second cap whatever
            # the load (one uploaded PNG, shrunk by Odoo, can be read within a second).
            (
                "slow to read",
                self._scanned_pdf(scan_png, pages=10),
                "application/pdf",
                {"max_seconds": 1},
                "1 seconds",
                False,
            ),
        ]
        for what, data, mimetype, params, words, before_hold in cases:
            with self.subTest(what):
                for key, value in params.items():
                    self._set_param(f"iap_credits.digitization_{key}", value)
                ledger, rows = self._ledger(), len(self.ocr_account.transaction_ids)
                move = self._bill(data, mimetype, name=f"{what}.bin")
                move.action_digitize()
                self.assertEqual(self.env["account.move"]._digitize_queued(), 1)
                self.assertEqual(
                    (move.digitization_state, move.digitization_error_code),
                    ("failed", "limit"),
                    f"{what}: {move.digitization_error}",
                )
                self.assertIn(words, move.digitization_error)
                self.assertIn("nothing was charged", move.message_ids[0].body)
                self.assertFalse(move.invoice_line_ids)
                self.assertEqual(self._ledger(), ledger, "nothing charged, nothing left held")
                if before_hold:
                    self.assertEqual(len(self.ocr_account.transaction_ids), rows, "refused before any credit was held")
                for key in params:
                    self.env["ir.config_parameter"].search([("key", "=", f"iap_credits.digitization_{key}")]).unlink()

    def test_invalid_cap_parameters_fall_back_to_the_defaults(self):
        self._set_param("iap_credits.digitization_max_pages", "many")
        self._set_param("iap_credits.digitization_max_seconds", "0")
        limits = self.env["iap.account"]._digitization_limits()
        self.assertEqual((limits.max_pages, limits.max_seconds), (10, 180))
        self._set_param("iap_credits.digitization_max_pages", "2")
        self.assertEqual(self.env["iap.account"]._digitization_limits().max_pages, 2)

    def test_bill_interrupted_twice_is_failed_and_the_queue_goes_on(self):
        """Two workers were killed reading this bill (the claim was committed, the rest rolled
        back): the job fails it, without reading it a third time, and reads the next one."""
        stuck = self._bill(self.pdf_gb, name="stuck.pdf")
        stuck.action_digitize()
        stuck.sudo().write(
            {
                "digitization_state": "in_progress",
                "digitization_attempts": 2,
                "digitization_started_date": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        fresh = self._bill(self.pdf_gb, name="fresh.pdf")
        fresh.action_digitize()

        self.assertEqual(self.env["account.move"]._digitize_queued(limit=1), 1)
        self.assertEqual((stuck.digitization_state, stuck.digitization_error_code), ("failed", "interrupted"))
        self.assertIn("interrupted 2 times", stuck.digitization_error)
        self.assertFalse(stuck.ref)
        self.assertEqual(fresh.digitization_state, "done", fresh.digitization_error)
        self.assertEqual(fresh.digitization_attempts, 1, "the attempt is counted when the bill is claimed")
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_interrupted_bill_goes_after_the_fresh_ones(self):
        interrupted = self._bill(self.pdf_gb, name="interrupted.pdf")
        interrupted.action_digitize()
        interrupted.sudo().write(
            {
                "digitization_state": "in_progress",
                "digitization_attempts": 1,
                "digitization_started_date": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        working = self._bill(self.pdf_gb, name="working.pdf")
        working.action_digitize()
        working.sudo().write(  # a live worker reads it right now: not taken from it
            {
                "digitization_state": "in_progress",
                "digitization_attempts": 1,
                "digitization_started_date": fields.Datetime.now(),
            }
        )
        fresh = self._bill(self.pdf_gb, name="fresh.pdf")
        fresh.action_digitize()

        self.assertEqual(self.env["account.move"]._digitize_queued(limit=1), 1)
        self.assertEqual(fresh.digitization_state, "done")
        self.assertEqual(interrupted.digitization_state, "in_progress", "after the fresh bill")
        self.assertEqual(self.env["account.move"]._digitize_queued(limit=1), 1)
        self.assertEqual((interrupted.digitization_state, interrupted.digitization_attempts), ("done", 2))
        self.assertEqual(self.env["account.move"]._digitize_queued(limit=5), 0)
        self.assertEqual(working.digitization_state, "in_progress")

    def _email_bill(self, sender, journal):
        """A real email with a PDF bill, through the stock mail gateway to the purchase journal."""
        raw = (
            textwrap.dedent(f"""\
            MIME-Version: 1.0
            Date: Fri, 26 Nov 2021 16:27:45 +0100
            Message-ID: <{uuid.uuid4()}@example.com>
            Subject: Bill
            From: Vendor <{sender}>
            To: {journal.alias_id.display_name or "bills@example.com"}
            Content-Type: multipart/mixed; boundary="BOUNDARY"

            --BOUNDARY
            Content-Type: text/plain; charset="UTF-8"

            Please find our bill attached.
            --BOUNDARY
            Content-Type: application/pdf
            Content-Transfer-Encoding: base64
            Content-Disposition: attachment; filename="bill.pdf"

            """)
            + base64.encodebytes(self.pdf_gb).decode()
            + "\n--BOUNDARY--\n"
        )
        thread_id = self.env["mail.thread"].message_process(
            "account.move",
            raw,
            custom_values={"move_type": "in_invoice", "journal_id": journal.id, "company_id": self.company.id},
        )
        return self.env["account.move"].browse(thread_id)

    def test_emailed_bills_over_the_daily_caps_are_not_queued(self):
        self.ocr_account.digitization_auto = True
        self._set_param("iap_credits.digitization_email_daily_limit_per_sender", 2)
        self._set_param("iap_credits.digitization_email_daily_limit", 4)
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company), ("type", "=", "purchase")], limit=1
        )
        flood = [self._email_bill("flood@example.com", journal) for _number in range(3)]
        self.assertEqual([move.digitization_state for move in flood], ["to_do", "to_do", False])
        self.assertEqual(flood[0].digitization_source, "email")
        self.assertIn("Not digitized automatically", flood[2].message_ids[0].body)
        self.assertIn("flood@example.com", flood[2].message_ids[0].body)
        self.assertTrue(flood[2].digitization_can_request, "a user can still digitize it by hand")

        others = [self._email_bill(f"vendor{number}@example.com", journal) for number in range(3)]
        self.assertEqual([move.digitization_state for move in others], ["to_do", "to_do", False], "4 in all a day")
        self.assertIn("emailed documents were already sent", others[2].message_ids[0].body)

        self._set_param("iap_credits.digitization_email_daily_limit_per_sender", 0)
        self.assertFalse(self._email_bill("new@example.com", journal).digitization_state, "0: none automatically")

        # Bills queued more than a day ago no longer count.
        self.env["account.move"].search([("digitization_source", "=", "email")]).sudo().write(
            {"digitization_queued_date": fields.Datetime.now() - timedelta(days=2)}
        )
        self._set_param("iap_credits.digitization_email_daily_limit_per_sender", 2)
        self.assertEqual(self._email_bill("flood@example.com", journal).digitization_state, "to_do")


@tagged("post_install", "-at_install")
class TestDigitizationTour(HttpCase):
    WAITING_NOTE = "Waiting for the digitization"

    def setUp(self):
        super().setUp()
        self.browser_authenticated = threading.Event()

    def authenticate(self, *args, **kwargs):
        """Override of `HttpCase`: the browser's session is ready; from now on the test's own
        cursor is left to the requests, so the queue's thread may open test cursors too."""
        session = super().authenticate(*args, **kwargs)
        self.browser_authenticated.set()
        return session

    def _run_queue_once_queued(self, move_id, outcome, timeout=90):
        """The scheduled digitization, in its own cursor while the browser waits: once the
        bill is queued and the tour has logged its note (the queued form is displayed), read
        it and commit, which sends the bus notification."""
        deadline = time.monotonic() + timeout
        try:
            if not self.browser_authenticated.wait(timeout):
                return
            time.sleep(1)  # the test's own cursor is flushed right after the authentication
            while time.monotonic() < deadline:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    move = env["account.move"].browse(move_id)
                    noted = any(self.WAITING_NOTE in (message.preview or "") for message in move.message_ids)
                    if move.digitization_state == "to_do" and noted:
                        outcome["processed"] = env["account.move"]._digitize_queued()
                        return
                time.sleep(0.2)
        except Exception as error:  # reported by the test, not lost in the thread
            outcome["error"] = error

    def test_digitize_demo_bill_in_the_browser(self):
        """The demo journey: open the scanned bill, click Digitize; the scheduled job reads it
        meanwhile, and the open form shows the filled bill, Done and no Digitize button,
        without a reload (the bus notification of the queue)."""
        move = self.env.ref("iap_credits.account_move_digitize_demo", raise_if_not_found=False)
        if not move:
            self.skipTest("demo data not installed")
        account = self.env.ref("iap_credits.iap_account_invoice_ocr_demo")
        balance = account.credit_balance
        outcome = {}
        queue = threading.Thread(target=self._run_queue_once_queued, args=(move.id, outcome), daemon=True)
        queue.start()
        self.addCleanup(queue.join, 5)
        self.start_tour(
            f"/odoo/action-account.action_move_in_invoice_type/{move.id}",
            "iap_credits_digitize_tour",
            login="admin",
            timeout=180,
        )
        queue.join(timeout=30)
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome.get("processed"), 1, "the queue ran while the form was open")
        move.invalidate_recordset()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertEqual(move.ref, "KOS-2025-0117")
        account.invalidate_recordset()
        self.assertAlmostEqual(account.credit_balance, balance - 1)


class TestDigitizationNeutralize(IapCreditsCase):
    def test_neutralize_blanks_the_extraction_api(self):
        account = self._create_local_account(
            self.env.ref("iap_credits.iap_service_invoice_ocr"),
            digitization_gateway="http",
            digitization_http_url="http://127.0.0.1:9/extract",
            digitization_http_api_key="s3cret",
        )
        self.env.flush_all()
        for query in get_neutralization_queries(["iap_credits"]):
            self.env.cr.execute(query)
        account.invalidate_recordset()
        self.assertEqual((account.digitization_gateway, account.digitization_http_api_key), ("tesseract", False))
