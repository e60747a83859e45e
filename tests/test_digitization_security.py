# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may digitize which document, tried as a Billing user over JSON-RPC.

The scheduled digitization runs as superuser: without these checks, a user who can
write their own draft bill could point it at any attachment of the database (another
company's bill, an HR document) and get its content copied into their bill.
"""

import base64
import io

from pypdf import PdfWriter

from odoo.tests import HttpCase, new_test_user, tagged

from . import digitization_corpus as corpus
from .common import JsonRpcMixin


@tagged("post_install", "-at_install")
class TestDigitizationDocumentAccess(JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.vat = corpus.CUSTOMER_VAT
        cls.env.ref("base.GBP").active = True
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        bills = {bill.key: bill for bill in corpus.BILLS}
        # The secret documents print this bill number: it must never reach the attacker's bill.
        cls.secret_pdf = corpus.render_pdf(bills["en_gb_classic"])
        cls.secret_number = bills["en_gb_classic"].number
        cls.own_bill = bills["fr_classic"]
        cls.own_pdf = corpus.render_pdf(cls.own_bill)
        cls.billing = new_test_user(
            cls.env,
            login="iap_digitize_billing",
            password="iap_digitize_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
        )
        Attachment = cls.env["ir.attachment"]
        # Another company's bill and its document.
        cls.company_b = cls.env["res.company"].create({"name": "Digitization Company B"})
        journal_b = cls.env["account.journal"].create(
            {"name": "Bills B", "code": "BILLB", "type": "purchase", "company_id": cls.company_b.id}
        )
        cls.bill_b = cls.env["account.move"].create(
            {"move_type": "in_invoice", "journal_id": journal_b.id, "company_id": cls.company_b.id}
        )
        cls.attachment_b = Attachment.create(
            {
                "name": "bill_company_b.pdf",
                "raw": cls.secret_pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": cls.bill_b.id,
            }
        )
        # An HR-like document: on nobody's record, readable by its creator (an administrator) only.
        cls.attachment_hr = Attachment.with_user(cls.env.ref("base.user_admin")).create(
            {"name": "salary_review.pdf", "raw": cls.secret_pdf, "mimetype": "application/pdf"}
        )
        # A bill of the user's own company that they may read: still not their bill's document.
        cls.other_bill = cls.env["account.move"].create({"move_type": "in_invoice"})
        cls.attachment_other_bill = Attachment.create(
            {
                "name": "other_bill.pdf",
                "raw": cls.secret_pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": cls.other_bill.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.bill = self.env["account.move"].with_user(self.billing).create({"move_type": "in_invoice"})
        self.authenticate(self.billing.login, self.billing.login)

    def _attach_to_bill(self, name, raw):
        """A PDF the Billing user attaches to their own bill."""
        return (
            self.env["ir.attachment"]
            .with_user(self.billing)
            .create(
                {
                    "name": name,
                    "raw": raw,
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": self.bill.id,
                }
            )
        )

    def _ledger(self):
        self.ocr_account.invalidate_recordset()
        return self.ocr_account.credit_balance, len(self.ocr_account.transaction_ids)

    def test_billing_user_cannot_digitize_a_foreign_attachment(self):
        ledger = self._ledger()
        foreign = self.attachment_b | self.attachment_hr | self.attachment_other_bill
        for attachment in foreign:
            with self.subTest(attachment=attachment.name):
                for vals in (
                    {"digitization_attachment_id": attachment.id},
                    {"digitization_attachment_id": attachment.id, "digitization_state": "to_do"},
                    {"digitization_queued_uid": self.env.ref("base.user_admin").id, "digitization_state": "to_do"},
                ):
                    response = self._call("account.move", "write", [self.bill.ids, vals])
                    self.assertIn("error", response, f"writing {vals} must be refused")
                self.bill.invalidate_recordset()
                self.assertFalse(self.bill.digitization_attachment_id)
                self.assertFalse(self.bill.digitization_state)
                # Made the bill's main attachment (a stock field), Digitize still refuses it.
                self._call("account.move", "write", [self.bill.ids, {"message_main_attachment_id": attachment.id}])
                response = self._call("account.move", "action_digitize", [self.bill.ids])
                self.assertIn("error", response, "no document of this bill: nothing to digitize")
                self.bill.invalidate_recordset()
                self.assertNotEqual(self.bill.digitization_attachment_id, attachment)
                self.assertFalse(self.bill.digitization_state)
        # Creating a bill already queued on a foreign document is refused as well.
        response = self._call(
            "account.move",
            "create",
            [[{"move_type": "in_invoice", "digitization_attachment_id": self.attachment_b.id}]],
        )
        self.assertIn("error", response)
        response = self._call(
            "account.move",
            "create",
            [[{"move_type": "in_invoice"}]],
            {
                "context": {
                    "default_digitization_attachment_id": self.attachment_b.id,
                    "default_digitization_state": "to_do",
                }
            },
        )
        created = self.env["account.move"].browse(response.get("result") or [])
        self.assertFalse(created.digitization_attachment_id, "queue defaults from the context are ignored")
        self.assertFalse(created.digitization_state)

        self.env["account.move"]._digitize_queued(limit=10)
        self.bill.invalidate_recordset()
        self.assertNotEqual(self.bill.ref, self.secret_number, "the foreign document was never read")
        self.assertFalse(self.bill.invoice_line_ids)
        self.assertEqual(self._ledger(), ledger)

    def test_own_document_is_digitized(self):
        """The same path with the bill's own document works: the refusals above are not blanket ones."""
        own = self._attach_to_bill("own.pdf", self.own_pdf)
        response = self._call("account.move", "action_digitize", [self.bill.ids])
        self.assertEqual(response.get("result"), True, response.get("error"))
        self.assertEqual(self.bill.digitization_attachment_id, own)
        self.assertEqual(self.bill.digitization_queued_uid, self.billing)
        self.env["account.move"]._digitize_queued()
        self.assertEqual(self.bill.digitization_state, "done", self.bill.digitization_error)
        self.assertEqual(self.bill.ref, self.own_bill.number)

    def test_cron_refuses_a_document_that_became_foreign(self):
        """Queued with the bill's own document, which then moved to another company's bill
        before the job ran: the job (superuser) re-checks and reads nothing."""
        own = self._attach_to_bill("moved.pdf", self.secret_pdf)
        response = self._call("account.move", "action_digitize", [self.bill.ids])
        self.assertEqual(response.get("result"), True, response.get("error"))
        self.assertEqual(self.bill.digitization_state, "to_do")
        ledger = self._ledger()
        own.sudo().write({"res_id": self.bill_b.id})  # an administrator moves it

        self.env["account.move"]._digitize_queued()
        self.assertEqual((self.bill.digitization_state, self.bill.digitization_error_code), ("failed", "forbidden"))
        self.assertIn("Only a document attached to", self.bill.digitization_error)
        self.assertFalse(self.bill.ref)
        self.assertFalse(self.bill.invoice_line_ids)
        self.assertEqual(self._ledger(), ledger, "refused before any credit was held")

    def test_cron_refuses_a_document_its_requester_can_no_longer_read(self):
        """Queued by a user who then lost access to the bill's company: not read for them."""
        self._attach_to_bill("mine.pdf", self.secret_pdf)
        response = self._call("account.move", "action_digitize", [self.bill.ids])
        self.assertEqual(response.get("result"), True, response.get("error"))
        ledger = self._ledger()
        self.billing.write({"company_ids": [(6, 0, self.company_b.ids)], "company_id": self.company_b.id})

        self.env["account.move"]._digitize_queued()
        self.assertEqual((self.bill.digitization_state, self.bill.digitization_error_code), ("failed", "forbidden"))
        self.assertIn("may no longer read", self.bill.digitization_error)
        self.assertFalse(self.bill.ref)
        self.assertEqual(self._ledger(), ledger)

    def test_billing_user_cannot_drain_the_queue_with_untrusted_files(self):
        """Case 3 over JSON-RPC: a Billing user uploads an oversized document (11 pages) to their
        bill and digitizes it; the job fails it on the page cap, charges nothing, holds nothing.
        The user can neither reset the bill's attempts to get it read again nor mark it done."""
        writer = PdfWriter()
        for _page in range(11):
            writer.add_blank_page(width=595, height=842)
        buffer = io.BytesIO()
        writer.write(buffer)
        response = self._call(
            "ir.attachment",
            "create",
            [
                {
                    "name": "eleven_pages.pdf",
                    "datas": base64.b64encode(buffer.getvalue()).decode(),
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": self.bill.id,
                }
            ],
        )
        self.assertTrue(response.get("result"), response.get("error"))
        response = self._call("account.move", "action_digitize", [self.bill.ids])
        self.assertEqual(response.get("result"), True, response.get("error"))
        balance, rows = self._ledger()

        self.assertEqual(self.env["account.move"]._digitize_queued(), 1)
        self.bill.invalidate_recordset()
        self.assertEqual((self.bill.digitization_state, self.bill.digitization_error_code), ("failed", "limit"))
        self.assertIn("11 pages", self.bill.digitization_error)
        self.assertEqual(self._ledger(), (balance, rows), "refused before any credit was held")

        for vals in ({"digitization_attempts": 0}, {"digitization_state": "to_do"}, {"digitization_state": "done"}):
            with self.subTest(vals=vals):
                self.assertIn("error", self._call("account.move", "write", [self.bill.ids, vals]))
        self.bill.invalidate_recordset()
        self.assertEqual(self.bill.digitization_state, "failed")
