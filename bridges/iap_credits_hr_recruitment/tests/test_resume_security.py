# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Who may digitize which document on an applicant, tried as a Recruitment user over JSON-RPC.

The scheduled digitization runs as superuser: without these checks, a recruiter who can
write an applicant could point it at any attachment of the database (another applicant's
CV, a vendor bill, an HR document) and get its contact details copied into the applicant.
"""

import base64

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.iap_credits.tests.common import JsonRpcMixin

from . import resume_corpus as corpus


@tagged("post_install", "-at_install")
class TestResumeDocumentAccess(JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        resumes = {resume.key: resume for resume in corpus.RESUMES}
        # The foreign documents are the CV of this person: they must never reach the recruiter's applicant.
        cls.secret = resumes["de_classic"]
        cls.secret_pdf = corpus.render_pdf(cls.secret)
        cls.own = resumes["en_in_labelled"]
        cls.own_pdf = corpus.render_pdf(cls.own)
        cls.recruiter = new_test_user(
            cls.env,
            login="iap_digitize_recruiter",
            password="iap_digitize_recruiter",
            groups="base.group_user,hr_recruitment.group_hr_recruitment_user",
            company_id=cls.company.id,
        )
        cls.interviewer = new_test_user(
            cls.env,
            login="iap_digitize_interviewer",
            password="iap_digitize_interviewer",
            groups="base.group_user,hr_recruitment.group_hr_recruitment_interviewer",
            company_id=cls.company.id,
        )
        Attachment = cls.env["ir.attachment"]
        # Another applicant's CV, which the recruiter may read: still not this applicant's document.
        cls.other_applicant = cls.env["hr.applicant"].create({"partner_name": "Other Applicant"})
        cls.attachment_other_cv = Attachment.create(
            {
                "name": "other_cv.pdf",
                "raw": cls.secret_pdf,
                "mimetype": "application/pdf",
                "res_model": "hr.applicant",
                "res_id": cls.other_applicant.id,
            }
        )
        # A private document: on nobody's record, readable by its creator (an administrator) only.
        cls.attachment_private = Attachment.with_user(cls.env.ref("base.user_admin")).create(
            {"name": "private_cv.pdf", "raw": cls.secret_pdf, "mimetype": "application/pdf"}
        )
        # A vendor bill's document.
        bill = cls.env["account.move"].create({"move_type": "in_invoice"})
        cls.attachment_bill = Attachment.create(
            {
                "name": "bill.pdf",
                "raw": cls.secret_pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": bill.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.applicant = self.env["hr.applicant"].with_user(self.recruiter).create({"partner_name": "Mine"})
        self.authenticate(self.recruiter.login, self.recruiter.login)

    def _ledger(self):
        self.ocr_account.invalidate_recordset()
        return self.ocr_account.credit_balance, len(self.ocr_account.transaction_ids)

    def _attach(self, name, raw):
        """A CV the recruiter attaches to their applicant, over JSON-RPC."""
        response = self._call(
            "ir.attachment",
            "create",
            [
                {
                    "name": name,
                    "datas": base64.b64encode(raw).decode(),
                    "mimetype": "application/pdf",
                    "res_model": "hr.applicant",
                    "res_id": self.applicant.id,
                }
            ],
        )
        return self.env["ir.attachment"].browse(self.assertRpcDone(response))

    def test_recruiter_cannot_digitize_a_foreign_attachment(self):
        ledger = self._ledger()
        foreign = self.attachment_other_cv | self.attachment_private | self.attachment_bill
        for attachment in foreign:
            with self.subTest(attachment=attachment.name):
                for vals in (
                    {"digitization_attachment_id": attachment.id},
                    {"digitization_attachment_id": attachment.id, "digitization_state": "to_do"},
                    {"digitization_queued_uid": self.env.ref("base.user_admin").id, "digitization_state": "to_do"},
                ):
                    response = self._call("hr.applicant", "write", [self.applicant.ids, vals])
                    self.assertIn("error", response, f"writing {vals} must be refused")
                self.applicant.invalidate_recordset()
                self.assertFalse(self.applicant.digitization_attachment_id)
                self.assertFalse(self.applicant.digitization_state)
                # Made the applicant's main attachment (a stock field), Digitize CV still refuses it.
                self._call("hr.applicant", "write", [self.applicant.ids, {"message_main_attachment_id": attachment.id}])
                response = self._call("hr.applicant", "action_digitize", [self.applicant.ids])
                self.assertIn("error", response, "no document of this applicant: nothing to digitize")
                self.applicant.invalidate_recordset()
                self.assertNotEqual(self.applicant.digitization_attachment_id, attachment)
                self.assertFalse(self.applicant.digitization_state)
        # Creating an applicant already queued on a foreign document is refused as well.
        response = self._call(
            "hr.applicant",
            "create",
            [[{"partner_name": "Queued", "digitization_attachment_id": self.attachment_other_cv.id}]],
        )
        self.assertRpcRefused(response)

        self.env["hr.applicant"]._digitize_queued(limit=10)
        self.applicant.invalidate_recordset()
        self.assertFalse(self.applicant.email_from, "the foreign CV was never read")
        self.assertFalse(self.applicant.partner_phone)
        self.assertEqual(self._ledger(), ledger)

    def test_own_cv_is_digitized(self):
        """The same path with the applicant's own CV works: the refusals above are not blanket ones."""
        own = self._attach("own_cv.pdf", self.own_pdf)
        response = self._call("hr.applicant", "action_digitize", [self.applicant.ids])
        self.assertEqual(self.assertRpcDone(response), True)
        self.assertEqual(self.applicant.digitization_attachment_id, own)
        self.assertEqual(self.applicant.digitization_queued_uid, self.recruiter)
        balance, _rows = self._ledger()
        self.env["hr.applicant"]._digitize_queued()
        self.assertEqual(self.applicant.digitization_state, "done", self.applicant.digitization_error)
        self.assertEqual(self.applicant.partner_name, "Mine", "typed by the recruiter: kept")
        self.assertEqual(self.applicant.email_from, self.own.email)
        self.assertEqual(self.applicant.partner_phone, self.own.phone_e164)
        self.assertEqual(self._ledger()[0], balance - 1)

    def test_cv_moved_to_another_applicant_is_not_read(self):
        """Queued with the applicant's own CV, which an administrator then moved to another
        applicant before the job ran: the job (superuser) re-checks and reads nothing."""
        own = self._attach("moved_cv.pdf", self.secret_pdf)
        self.assertRpcDone(self._call("hr.applicant", "action_digitize", [self.applicant.ids]))
        ledger = self._ledger()
        own.sudo().write({"res_id": self.other_applicant.id})
        self.env["hr.applicant"]._digitize_queued()
        self.assertEqual(
            (self.applicant.digitization_state, self.applicant.digitization_error_code), ("failed", "forbidden")
        )
        self.assertFalse(self.applicant.email_from)
        self.assertEqual(self._ledger(), ledger, "refused before any credit was held")

    def test_interviewer_cannot_digitize_an_applicant_they_do_not_interview(self):
        applicant = self.env["hr.applicant"].create({"partner_name": "Not Theirs"})
        self.env["ir.attachment"].create(
            {
                "name": "cv.pdf",
                "raw": self.own_pdf,
                "mimetype": "application/pdf",
                "res_model": "hr.applicant",
                "res_id": applicant.id,
            }
        )
        ledger = self._ledger()
        self.authenticate(self.interviewer.login, self.interviewer.login)
        self.assertRpcRefused(self._call("hr.applicant", "action_digitize", [applicant.ids]))
        self.assertFalse(applicant.digitization_state)
        self.assertEqual(self._ledger(), ledger)
