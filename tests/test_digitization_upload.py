# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What a user sees around the digitization queue: the messages of an uploaded or emailed
bill (one, coherent, never a failed import next to a queued document), e-invoices still
imported by the stock decoders, and the bus notification the open forms reload on."""

import base64
import json
import textwrap
import uuid

from odoo.exceptions import UserError
from odoo.tests import new_test_user

from odoo.addons.iap_credits.models.iap_digitization_mixin import DIGITIZATION_NOTIFICATION

from . import digitization_corpus as corpus
from .common import IapCreditsCase

# A Peppol BIS 3 (UBL) vendor bill, as a supplier's software emails it.
UBL_BILL = textwrap.dedent("""\
    <?xml version="1.0" encoding="UTF-8"?>
    <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
             xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
             xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
      <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
      <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
      <cbc:ID>UBL-2025-0077</cbc:ID>
      <cbc:IssueDate>2025-03-05</cbc:IssueDate>
      <cbc:DueDate>2025-04-04</cbc:DueDate>
      <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
      <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
      <cac:AccountingSupplierParty>
        <cac:Party>
          <cac:PartyName><cbc:Name>Structured Supplies BV</cbc:Name></cac:PartyName>
          <cac:PostalAddress>
            <cbc:CityName>Utrecht</cbc:CityName>
            <cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
          </cac:PostalAddress>
          <cac:PartyLegalEntity>
            <cbc:RegistrationName>Structured Supplies BV</cbc:RegistrationName>
          </cac:PartyLegalEntity>
        </cac:Party>
      </cac:AccountingSupplierParty>
      <cac:AccountingCustomerParty>
        <cac:Party>
          <cac:PartyName><cbc:Name>Customer</cbc:Name></cac:PartyName>
          <cac:PartyLegalEntity><cbc:RegistrationName>Customer</cbc:RegistrationName></cac:PartyLegalEntity>
        </cac:Party>
      </cac:AccountingCustomerParty>
      <cac:LegalMonetaryTotal>
        <cbc:LineExtensionAmount currencyID="EUR">250.00</cbc:LineExtensionAmount>
        <cbc:TaxExclusiveAmount currencyID="EUR">250.00</cbc:TaxExclusiveAmount>
        <cbc:TaxInclusiveAmount currencyID="EUR">250.00</cbc:TaxInclusiveAmount>
        <cbc:PayableAmount currencyID="EUR">250.00</cbc:PayableAmount>
      </cac:LegalMonetaryTotal>
      <cac:InvoiceLine>
        <cbc:ID>1</cbc:ID>
        <cbc:InvoicedQuantity unitCode="C62">5</cbc:InvoicedQuantity>
        <cbc:LineExtensionAmount currencyID="EUR">250.00</cbc:LineExtensionAmount>
        <cac:Item><cbc:Name>Archive boxes</cbc:Name></cac:Item>
        <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price>
      </cac:InvoiceLine>
    </Invoice>
    """).encode()


class TestDigitizationUpload(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vat = corpus.CUSTOMER_VAT  # printed on every bill: never the vendor
        cls.env.ref("base.GBP").active = True
        cls.env.ref("base.EUR").active = True
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract", "digitization_auto": True})
        cls.ocr_account._credits_grant(10, "Test credits")
        cls.env["res.partner"].create({"name": "Northwind Traders Ltd", "is_company": True, "vat": "GB 980 780 684"})
        cls.pdf_gb = corpus.render_pdf(next(bill for bill in corpus.BILLS if bill.key == "en_gb_classic"))
        cls.journal = cls.env["account.journal"].search(
            [*cls.env["account.journal"]._check_company_domain(cls.company), ("type", "=", "purchase")], limit=1
        )
        cls.accountant = new_test_user(
            cls.env, login="digitization_uploader", groups="account.group_account_invoice", company_id=cls.company.id
        )
        cls.colleague = new_test_user(
            cls.env, login="digitization_colleague", groups="account.group_account_invoice", company_id=cls.company.id
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _upload(self, name, raw, mimetype):
        """The Upload button of Vendor Bills, as the accountant: an attachment, then the
        journal's ``create_document_from_attachment``; the bill it opens."""
        env = self.env(user=self.accountant)
        attachment = env["ir.attachment"].create({"name": name, "raw": raw, "mimetype": mimetype})
        action = (
            self.journal.with_env(env)
            .with_context(default_move_type="in_invoice")
            .create_document_from_attachment(attachment.ids)
        )
        return env["account.move"].browse(action["res_id"])

    def _email(self, *files):
        """A real email to the purchase journal with ``files`` (name, mimetype, raw) attached."""
        parts = "".join(
            textwrap.dedent(f"""\
                --BOUNDARY
                Content-Type: {mimetype}
                Content-Transfer-Encoding: base64
                Content-Disposition: attachment; filename="{name}"

                """)
            + base64.encodebytes(raw).decode()
            + "\n"
            for name, mimetype, raw in files
        )
        raw_email = (
            textwrap.dedent(f"""\
                MIME-Version: 1.0
                Date: Fri, 26 Nov 2021 16:27:45 +0100
                Message-ID: <{uuid.uuid4()}@example.com>
                Subject: Bill
                From: Vendor <vendor@example.com>
                To: bills@example.com
                Content-Type: multipart/mixed; boundary="BOUNDARY"

                --BOUNDARY
                Content-Type: text/plain; charset="UTF-8"

                Please find our bill attached.
                """)
            + parts
            + "--BOUNDARY--\n"
        )
        thread_id = self.env["mail.thread"].message_process(
            "account.move",
            raw_email,
            custom_values={"move_type": "in_invoice", "journal_id": self.journal.id, "company_id": self.company.id},
        )
        return self.env["account.move"].browse(thread_id)

    def _bodies(self, move):
        """The chatter of ``move`` as text, oldest first."""
        return [" ".join(message.preview.split()) for message in move.message_ids.sorted("id") if message.preview]

    def _bus_rows(self, after_id):
        """The bus notifications written since ``after_id``: ``[(channel, message)]``, decoded."""
        self.env.cr.precommit.run()  # the bus writes its rows when the transaction commits
        rows = self.env["bus.bus"].sudo().search([("id", ">", after_id)], order="id")
        return [(json.loads(row.channel), json.loads(row.message)) for row in rows]

    def _last_bus_id(self):
        self.env.cr.precommit.run()
        return self.env["bus.bus"].sudo()._bus_last_id()

    def _partner_channel(self, partner):
        return [self.env.cr.dbname, "res.partner", partner.id]

    # ------------------------------------------------------------
    # TESTS: MESSAGES OF AN IMPORTED BILL
    # ------------------------------------------------------------

    def test_uploaded_pdf_posts_one_message_and_no_failed_import(self):
        move = self._upload("northwind.pdf", self.pdf_gb, "application/pdf")
        self.assertEqual((move.digitization_state, move.digitization_source), ("to_do", "upload"))
        self.assertEqual(move.digitization_queued_uid, self.accountant)
        bodies = self._bodies(move)
        self.assertEqual(bodies.count("Sent to document digitization."), 1, bodies)
        for body in bodies:
            self.assertNotIn("error while importing", body)
            self.assertNotIn("not imported", body)
        self.assertFalse(move.digitization_can_request, "queued: no Digitize button")

        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertEqual(move.ref, "INV-2025-0042")
        self.assertIn("Document digitized", self._bodies(move)[-1])
        self.assertFalse(move.digitization_can_request, "read: no Digitize button for the same document")

    def test_uploaded_pdf_without_automatic_digitization_stays_stock(self):
        self.ocr_account.digitization_auto = False
        move = self._upload("northwind.pdf", self.pdf_gb, "application/pdf")
        self.assertFalse(move.digitization_state)
        self.assertNotIn("Sent to document digitization.", self._bodies(move))
        self.assertTrue(move.digitization_can_request, "the user can still click Digitize")

    def test_uploaded_e_invoice_is_imported_by_stock(self):
        move = self._upload("ubl_bill.xml", UBL_BILL, "application/xml")
        self.assertFalse(move.digitization_state, "an e-invoice is not sent to the digitization")
        self.assertEqual(move.ref, "UBL-2025-0077")
        self.assertEqual(move.invoice_line_ids.mapped("name"), ["Archive boxes"])
        bodies = self._bodies(move)
        self.assertNotIn("Sent to document digitization.", bodies)
        self.assertFalse([body for body in bodies if "error while importing" in body], bodies)

    def test_emailed_pdf_with_its_e_invoice_is_imported_by_stock(self):
        """A PDF and its UBL in one email make one bill: the e-invoice decoder outranks the
        digitization, the PDF stays attached as the bill's image."""
        move = self._email(("bill.pdf", "application/pdf", self.pdf_gb), ("bill.xml", "application/xml", UBL_BILL))
        self.assertEqual(move.ref, "UBL-2025-0077")
        self.assertEqual(move.invoice_line_ids.mapped("name"), ["Archive boxes"])
        self.assertFalse(move.digitization_state)
        self.assertNotIn("Sent to document digitization.", self._bodies(move))

    def test_emailed_pdf_alone_is_queued_once(self):
        move = self._email(("bill.pdf", "application/pdf", self.pdf_gb))
        self.assertEqual((move.digitization_state, move.digitization_source), ("to_do", "email"))
        self.assertEqual(self._bodies(move).count("Sent to document digitization."), 1)

    def test_digitize_is_offered_again_only_for_another_document(self):
        move = self._upload("northwind.pdf", self.pdf_gb, "application/pdf")
        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        self.assertFalse(move.digitization_can_request)
        with self.assertRaisesRegex(UserError, "already digitized from this document"):
            move.action_digitize()
        rescan = move.env["ir.attachment"].create(
            {
                "name": "rescan.pdf",
                "raw": self.pdf_gb,
                "mimetype": "application/pdf",
                "res_model": move._name,
                "res_id": move.id,
            }
        )
        move.message_main_attachment_id = rescan
        self.assertTrue(move.digitization_can_request, "another document: Digitize again")
        move.action_digitize()
        self.assertEqual((move.digitization_state, move.digitization_attachment_id), ("to_do", rescan))

    # ------------------------------------------------------------
    # TESTS: THE BUS NOTIFICATION OF THE OPEN FORMS
    # ------------------------------------------------------------

    def test_queue_notifies_the_requester_and_the_internal_followers(self):
        move = self._upload("northwind.pdf", self.pdf_gb, "application/pdf")
        vendor = self.env["res.partner"].create({"name": "Outside Vendor", "email": "outside@example.com"})
        move.message_subscribe(partner_ids=(self.colleague.partner_id | vendor).ids)
        bystander = new_test_user(self.env, login="digitization_bystander", groups="account.group_account_invoice")
        last = self._last_bus_id()

        self.env["account.move"]._digitize_queued()
        self.assertEqual(move.digitization_state, "done", move.digitization_error)
        notified = {
            tuple(channel): message
            for channel, message in self._bus_rows(last)
            if message["type"] == DIGITIZATION_NOTIFICATION
        }
        expected = {"type": DIGITIZATION_NOTIFICATION, "payload": {"model": "account.move", "ids": [move.id]}}
        self.assertEqual(
            notified,
            {
                tuple(self._partner_channel(self.accountant.partner_id)): expected,
                tuple(self._partner_channel(self.colleague.partner_id)): expected,
            },
            "who asked and the internal followers; never an outside follower nor another user",
        )
        self.assertNotIn(tuple(self._partner_channel(bystander.partner_id)), notified)

    def test_failed_digitization_notifies_too(self):
        self.ocr_account._credits_debit(self.ocr_account.credit_available, "Spent elsewhere")
        first = self._upload("first.pdf", self.pdf_gb, "application/pdf")
        second = self._upload("second.pdf", self.pdf_gb, "application/pdf")
        last = self._last_bus_id()
        self.assertEqual(self.env["account.move"]._digitize_queued(), 2)
        self.assertEqual([first.digitization_state, second.digitization_state], ["failed", "failed"])
        payloads = [
            message["payload"]
            for channel, message in self._bus_rows(last)
            if message["type"] == DIGITIZATION_NOTIFICATION
            and channel == self._partner_channel(self.accountant.partner_id)
        ]
        self.assertEqual(payloads, [{"model": "account.move", "ids": sorted((first | second).ids)}], "one per batch")

    def test_nothing_is_sent_while_only_queued(self):
        last = self._last_bus_id()
        self._upload("northwind.pdf", self.pdf_gb, "application/pdf")
        self.assertFalse(
            [message for _channel, message in self._bus_rows(last) if message["type"] == DIGITIZATION_NOTIFICATION]
        )
