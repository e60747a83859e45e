# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Digitizing expense receipts: button, upload, email, filling, charging, failures.

Tesseract really reads the generated receipts (phone photos and text PDFs); the queue,
the pipeline and the price are the ones of vendor bills (`iap.digitization.mixin`).
"""

import base64
import io
import textwrap
import uuid
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TransactionCase

from odoo.addons.iap_credits.tests import digitization_receipts_corpus as corpus
from odoo.addons.iap_credits.tests.common import ACCESS_ERROR, JsonRpcMixin


class ReceiptCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.env.ref("base.EUR").active = True
        cls.env.ref("base.GBP").active = True
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        cls.employee_user = new_test_user(
            cls.env, login="iap_receipt_employee", groups="base.group_user", email="receipt.employee@example.com"
        )
        cls.employee = cls.env["hr.employee"].create(
            {
                "name": "Receipt Employee",
                "user_id": cls.employee_user.id,
                "work_email": "receipt.employee@example.com",
                "company_id": cls.company.id,
            }
        )
        cls.receipts = {receipt.key: receipt for receipt in corpus.RECEIPTS}
        cls.pub = cls.receipts["gb_pub"]  # GBP, VAT 20 %, a pub: a meal
        cls.pub_pdf = corpus.render_pdf(cls.pub)
        cls.taxi = cls.receipts["de_taxi"]
        cls.taxi_photo, _mimetype = corpus.render_photo(cls.taxi)
        cls.merchant = cls.env["res.partner"].create(
            {"name": "The Crown and Anchor", "is_company": True, "vat": "GB980780684"}
        )
        cls.meals = cls.env.ref("hr_expense.expense_product_meal")
        cls.placeholder = cls.env.ref("hr_expense.product_product_no_cost")

    def setUp(self):
        super().setUp()
        self.ocr_account.invalidate_recordset()
        self.balance = self.ocr_account.credit_balance

    def _expense(self, data, mimetype="application/pdf", filename="receipt.pdf", user=None, **values):
        """A draft expense of the employee with the receipt attached, as the upload makes it."""
        Expense = self.env["hr.expense"].with_user(user) if user else self.env["hr.expense"]
        expense = Expense.create(
            {
                "name": self.env["hr.expense"]._get_untitled_expense_name("x"),
                "employee_id": self.employee.id,
                "product_id": self.placeholder.id,
                **values,
            }
        )
        attachment = (
            self.env["ir.attachment"]
            .with_user(user or self.env.user)
            .create(
                {"name": filename, "raw": data, "mimetype": mimetype, "res_model": "hr.expense", "res_id": expense.id}
            )
        )
        expense.sudo().message_main_attachment_id = attachment
        return expense.with_env(self.env)

    def assertCredits(self, balance):
        self.ocr_account.invalidate_recordset()
        self.assertAlmostEqual(self.ocr_account.credit_balance, balance)
        self.assertAlmostEqual(self.ocr_account.credit_reserved, 0.0, msg="no credit left held")


class TestReceiptDigitization(ReceiptCase):
    def test_digitize_fills_the_expense_and_charges_one_credit(self):
        expense = self._expense(self.pub_pdf)
        self.assertTrue(expense.digitization_can_request)
        expense.action_digitize()
        self.assertEqual(expense.digitization_state, "to_do")
        self.assertCredits(self.balance)  # queued: nothing held yet
        self.assertEqual(self.env["hr.expense"]._digitize_queued(), 1)

        self.assertEqual(expense.digitization_state, "done", expense.digitization_error)
        self.assertEqual(expense.vendor_id, self.merchant, "matched by the VAT number printed on the receipt")
        self.assertEqual(expense.name, "The Crown and Anchor")
        self.assertEqual(expense.date, fields.Date.to_date("2025-03-14"))
        self.assertEqual(expense.currency_id.name, "GBP")
        self.assertAlmostEqual(expense.total_amount_currency, 39.25)
        self.assertEqual(expense.product_id, self.meals, "a pub: a meal")
        self.assertCredits(self.balance - 1)
        body = expense.message_ids[0].body
        self.assertIn("Receipt digitized", body)
        self.assertIn("6.54", body, "the tax read is listed")
        hold = self.ocr_account.transaction_ids.filtered(lambda t: t.origin_ref == expense)
        self.assertEqual(hold.kind, "reservation")
        self.assertEqual(
            self.ocr_account.transaction_ids.filtered(lambda t: t.hold_id == hold).mapped("kind"), ["capture"]
        )

    def test_tax_of_the_printed_rate(self):
        """A category without taxes: the expense gets the one purchase tax of the printed rate."""
        self.meals.supplier_taxes_id = False
        Tax = self.env["account.tax"]
        Tax.search(
            [*Tax._check_company_domain(self.company), ("type_tax_use", "=", "purchase"), ("amount", "=", 20)]
        ).active = False
        tax = Tax.create(
            {"name": "Receipt VAT 20%", "amount": 20, "type_tax_use": "purchase", "company_id": self.company.id}
        )
        expense = self._expense(self.pub_pdf, product_id=False)
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual(expense.tax_ids, tax)
        self.assertAlmostEqual(expense.tax_amount_currency, 6.54, places=2)

    def test_phone_photo_of_a_receipt(self):
        """A faded thermal receipt, photographed askew on a desk: page found, straightened, read."""
        expense = self._expense(self.taxi_photo, "image/jpeg", filename="taxi.jpg")
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual(expense.digitization_state, "done", expense.digitization_error)
        self.assertEqual(expense.date, fields.Date.to_date("2025-03-07"))
        self.assertAlmostEqual(expense.total_amount_currency, 24.90)
        self.assertEqual(expense.currency_id.name, "EUR")
        self.assertEqual(expense.product_id, self.env.ref("hr_expense.expense_product_travel_accommodation"))
        self.assertCredits(self.balance - 1)

    def test_never_overwrites_what_the_employee_typed(self):
        other = self.env["res.partner"].create({"name": "Another Pub", "is_company": True})
        gifts = self.env.ref("hr_expense.expense_product_gift")
        expense = self._expense(
            self.pub_pdf,
            name="Team lunch",
            vendor_id=other.id,
            product_id=gifts.id,
            total_amount_currency=40.0,
            date="2025-01-02",
        )
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual(expense.digitization_state, "done")
        self.assertEqual(
            (expense.name, expense.vendor_id, expense.product_id, expense.date),
            ("Team lunch", other, gifts, fields.Date.to_date("2025-01-02")),
        )
        self.assertAlmostEqual(expense.total_amount_currency, 40.0)
        self.assertCredits(self.balance - 1)

    def test_unreadable_receipt_is_not_charged(self):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (600, 900), 255).save(buffer, "PNG")
        expense = self._expense(buffer.getvalue(), "image/png", filename="blank.png")
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual((expense.digitization_state, expense.digitization_error_code), ("failed", "unreadable"))
        self.assertIn("nothing was charged", expense.message_ids[0].body)
        self.assertCredits(self.balance)
        hold = self.ocr_account.transaction_ids.filtered(lambda t: t.origin_ref == expense)
        self.assertEqual(hold.kind, "reservation", "held before the OCR engine read it")
        self.assertEqual(
            self.ocr_account.transaction_ids.filtered(lambda t: t.hold_id == hold).mapped("kind"), ["release"]
        )

    def test_no_credits_shows_buy_credit(self):
        self.ocr_account._credits_debit(self.ocr_account.credit_available, "Spent elsewhere")
        expense = self._expense(self.pub_pdf)
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual((expense.digitization_state, expense.digitization_error_code), ("failed", "no_credit"))
        self.assertTrue(expense.digitization_credits_url)
        self.assertCredits(0)

    def test_refusals(self):
        no_document = self.env["hr.expense"].create({"name": "Taxi", "employee_id": self.employee.id})
        with self.assertRaises(UserError):
            no_document.action_digitize()
        submitted = self._expense(self.pub_pdf, total_amount_currency=10.0)
        submitted.approval_state = "submitted"
        self.assertEqual(submitted.state, "submitted")
        self.assertFalse(submitted.digitization_can_request)
        with self.assertRaises(UserError):
            submitted.action_digitize()
        queued = self._expense(self.pub_pdf)
        queued.action_digitize()
        with self.assertRaises(UserError):
            queued.action_digitize()

    def test_one_queue_for_bills_and_receipts(self):
        """The scheduled job reads bills and receipts in one queue, oldest request first, and
        charges both to the one Document Digitization account at the one price."""
        from odoo.addons.iap_credits.tests import digitization_corpus

        bill = self.env["account.move"].create({"move_type": "in_invoice"})
        attachment = self.env["ir.attachment"].create(
            {
                "name": "bill.pdf",
                "raw": digitization_corpus.render_pdf(digitization_corpus.BILLS[0]),
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": bill.id,
            }
        )
        bill.message_main_attachment_id = attachment
        expense = self._expense(self.pub_pdf)
        expense.action_digitize()
        bill.action_digitize()
        # Queued in the same transaction (same timestamp): the bill is made the later request.
        bill.sudo().digitization_queued_date = expense.digitization_queued_date + timedelta(seconds=1)
        Mixin = self.env["iap.digitization.mixin"]
        self.assertIn("account.move", [model._name for model in Mixin._digitization_queue_models()])
        self.assertIn("hr.expense", [model._name for model in Mixin._digitization_queue_models()])
        self.assertEqual(Mixin._digitization_queue_count(), 2)
        claimed = Mixin._digitization_claim(limit=1)
        self.assertEqual(claimed, [expense], "the receipt was queued first")
        Mixin._digitize_claimed(claimed)
        self.assertEqual(Mixin._digitize_queued(limit=5), 1)
        self.assertEqual((expense.digitization_state, bill.digitization_state), ("done", "done"))
        self.assertEqual(bill.ref, digitization_corpus.BILLS[0].number)
        self.assertCredits(self.balance - 2)

    def test_demo_receipt(self):
        """The demo: a phone photo of a receipt, Digitize, real OCR, one credit spent."""
        expense = self.env.ref("iap_credits_hr_expense.hr_expense_digitize_demo", raise_if_not_found=False)
        if not expense:
            self.skipTest("demo data not installed")
        account = self.env.ref("iap_credits.iap_account_invoice_ocr_demo")
        self.assertEqual(self.env["iap.credit.dispatch"]._get_account("invoice_ocr", expense.company_id), account)
        balance = account.credit_balance
        expense.action_digitize()
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual(expense.digitization_state, "done", expense.digitization_error)
        self.assertEqual(expense.vendor_id, self.env.ref("iap_credits_hr_expense.res_partner_harbor_grill_demo"))
        self.assertEqual(expense.name, "Harbor Grill")
        self.assertEqual(expense.date, fields.Date.to_date("2025-03-06"))
        self.assertAlmostEqual(expense.total_amount_currency, 45.0)
        self.assertEqual(expense.product_id, self.meals)
        account.invalidate_recordset()
        self.assertAlmostEqual(account.credit_balance, balance - 1)


class TestReceiptAutomatic(ReceiptCase):
    def test_upload_queues_when_automatic(self):
        self.ocr_account.digitization_auto_receipts = True
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.employee_user)
            .create({"name": "pub.pdf", "raw": self.pub_pdf, "mimetype": "application/pdf", "res_model": "hr.expense"})
        )
        ids = self.env["hr.expense"].with_user(self.employee_user).create_expense_from_attachments(attachment.ids)
        expense = self.env["hr.expense"].browse(ids)
        self.assertEqual((expense.digitization_state, expense.digitization_source), ("to_do", "upload"))
        self.assertEqual(expense.digitization_queued_uid, self.employee_user)
        self.env["hr.expense"]._digitize_queued()
        self.assertEqual(expense.digitization_state, "done", expense.digitization_error)
        self.assertAlmostEqual(expense.total_amount_currency, 39.25)
        self.assertEqual(expense.product_id, self.meals, "the upload's generic category is replaced")

        self.ocr_account.digitization_auto_receipts = False
        other = (
            self.env["ir.attachment"]
            .with_user(self.employee_user)
            .create({"name": "pub2.pdf", "raw": self.pub_pdf, "mimetype": "application/pdf", "res_model": "hr.expense"})
        )
        ids = self.env["hr.expense"].with_user(self.employee_user).create_expense_from_attachments(other.ids)
        self.assertFalse(self.env["hr.expense"].browse(ids).digitization_state)

    def _email_receipt(self, sender, data, filename="receipt.pdf", mimetype="application/pdf"):
        """A real email with a receipt, through the stock mail gateway to the expense alias."""
        raw = (
            textwrap.dedent(f"""\
            MIME-Version: 1.0
            Date: Fri, 14 Mar 2025 16:27:45 +0100
            Message-ID: <{uuid.uuid4()}@example.com>
            Subject: Lunch
            From: Employee <{sender}>
            To: expense@example.com
            Content-Type: multipart/mixed; boundary="BOUNDARY"

            --BOUNDARY
            Content-Type: text/plain; charset="UTF-8"

            My receipt.
            --BOUNDARY
            Content-Type: {mimetype}
            Content-Transfer-Encoding: base64
            Content-Disposition: attachment; filename="{filename}"

            """)
            + base64.encodebytes(data).decode()
            + "\n--BOUNDARY--\n"
        )
        thread_id = self.env["mail.thread"].message_process("hr.expense", raw)
        return self.env["hr.expense"].browse(thread_id)

    def test_emailed_receipts_are_queued_within_the_daily_caps(self):
        self.ocr_account.digitization_auto_receipts = True
        self.env["ir.config_parameter"].set_param("iap_credits.digitization_email_daily_limit_per_sender", "1")
        first = self._email_receipt("receipt.employee@example.com", self.pub_pdf)
        self.assertEqual(first.employee_id, self.employee)
        self.assertEqual((first.digitization_state, first.digitization_source), ("to_do", "email"))
        second = self._email_receipt("receipt.employee@example.com", self.pub_pdf)
        self.assertFalse(second.digitization_state, "over the employee's daily cap")
        self.assertIn("Not digitized automatically", second.message_ids[0].body)
        self.assertTrue(second.digitization_can_request, "the employee can still click Digitize")
        self.assertEqual(self.env["hr.expense"]._digitize_queued(), 1)
        self.assertEqual(first.digitization_state, "done", first.digitization_error)
        self.assertEqual(first.vendor_id, self.merchant)
        self.assertCredits(self.balance - 1)

    def test_emailed_receipt_without_automatic_digitization(self):
        self.ocr_account.digitization_auto_receipts = False
        expense = self._email_receipt("receipt.employee@example.com", self.pub_pdf)
        self.assertTrue(expense)
        self.assertFalse(expense.digitization_state)


@tagged("post_install", "-at_install")
class TestReceiptDigitizationAccess(JsonRpcMixin, HttpCase):
    """An employee digitizes their own receipt over JSON-RPC; never someone else's, never
    by writing the queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(5, "Test credits")
        cls.users = {}
        cls.employees = {}
        for login in ("iap_receipt_alice", "iap_receipt_bob"):
            user = new_test_user(cls.env, login=login, password=login, groups="base.group_user")
            cls.users[login] = user
            cls.employees[login] = cls.env["hr.employee"].create(
                {"name": login, "user_id": user.id, "company_id": cls.company.id}
            )
        receipt = corpus.RECEIPTS[0]
        cls.pdf = corpus.render_pdf(receipt)

    def _expense_of(self, login):
        user = self.users[login]
        expense = (
            self.env["hr.expense"]
            .with_user(user)
            .create({"name": "Untitled Expense", "employee_id": self.employees[login].id})
        )
        attachment = (
            self.env["ir.attachment"]
            .with_user(user)
            .create(
                {"name": "r.pdf", "raw": self.pdf, "mimetype": "application/pdf", "res_model": "hr.expense",
                 "res_id": expense.id}
            )
        )  # fmt: skip
        return expense, attachment

    def test_employee_digitizes_their_own_receipt_only(self):
        alice_expense, _alice_doc = self._expense_of("iap_receipt_alice")
        bob_expense, bob_doc = self._expense_of("iap_receipt_bob")
        self.authenticate("iap_receipt_alice", "iap_receipt_alice")
        self.assertRpcDone(self._call("hr.expense", "action_digitize", [alice_expense.ids]))
        alice_expense.invalidate_recordset()
        self.assertEqual(alice_expense.digitization_state, "to_do")
        # Bob's expense, or Bob's receipt on Alice's expense: refused.
        self.assertRpcRefused(self._call("hr.expense", "action_digitize", [bob_expense.ids]))
        response = self._call("hr.expense", "write", [alice_expense.ids, {"digitization_attachment_id": bob_doc.id}])
        self.assertIn("error", response)
        for vals in ({"digitization_state": "to_do"}, {"digitization_queued_uid": self.env.ref("base.user_admin").id}):
            self.assertRpcRefused(self._call("hr.expense", "write", [alice_expense.ids, vals]))
        self.assertRpcRefused(
            self._call("hr.expense", "create", [{"name": "x", "digitization_state": "to_do"}]), error=ACCESS_ERROR
        )
        bob_expense.invalidate_recordset()
        self.assertFalse(bob_expense.digitization_state)

    def test_account_option_is_for_credit_managers(self):
        before = self.ocr_account.digitization_auto_receipts
        self.authenticate("iap_receipt_alice", "iap_receipt_alice")
        response = self._call(
            "iap.account", "write", [self.ocr_account.ids, {"digitization_auto_receipts": not before}]
        )
        self.assertIn("error", response)
        self.ocr_account.invalidate_recordset()
        self.assertEqual(self.ocr_account.digitization_auto_receipts, before)
