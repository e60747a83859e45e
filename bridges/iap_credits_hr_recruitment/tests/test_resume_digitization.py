# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Digitizing CVs on applicants: queue, filling, charging, failures, gateways, demo.

The text layer and Tesseract really run, through the real registry and the queue shared
with bills; the external extraction API is a small HTTP server on 127.0.0.1 that the
gateway speaks real HTTP to.
"""

import io
import json
import os

from odoo.exceptions import UserError

from odoo.addons.iap_credits.tests.common import IapCreditsCase
from odoo.addons.iap_credits.tests.local_server import QuietHandler, serve

from . import resume_corpus as corpus


class ResumeExtractionApi(QuietHandler):
    """Stands in for an external extraction API: answers the fields of a CV, some of them
    malformed (a gateway's answer is checked like any input)."""

    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        answer = {
            "status": "success",
            "fields": {
                "name": "Grace Hopper",
                "email": "not an address",
                "phone": "020 7946 0958",  # national, read in the company's country (GB)
                "linkedin": "https://evil.example.com/in/grace",
            },
        }
        self._answer(200, json.dumps(answer))


class TestResumeDigitization(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        cls.resumes = {resume.key: resume for resume in corpus.RESUMES}
        cls.company.country_id = cls.env.ref("base.uk")

    def setUp(self):
        super().setUp()
        self.ocr_account.invalidate_recordset()
        self.balance = self.ocr_account.credit_balance

    def _applicant(self, data, mimetype="application/pdf", name="cv.pdf", **values):
        applicant = self.env["hr.applicant"].create(values)
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": data, "mimetype": mimetype, "res_model": "hr.applicant", "res_id": applicant.id}
        )
        applicant.message_main_attachment_id = attachment
        return applicant

    def _digitize(self, applicant):
        applicant.action_digitize()
        self.assertEqual(applicant.digitization_state, "to_do")
        self.env["hr.applicant"]._digitize_queued()
        return applicant

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_digitize_cv_fills_the_applicant_and_charges_one_credit(self):
        resume = self.resumes["en_gb_classic"]
        applicant = self._applicant(corpus.render_pdf(resume))
        self.assertTrue(applicant.digitization_can_request)
        applicant.action_digitize()
        self.assertCredits(self.ocr_account, self.balance)  # queued: nothing held yet

        self.assertEqual(self.env["hr.applicant"]._digitize_queued(), 1)
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        self.assertEqual(applicant.partner_name, "Emily Carter")
        self.assertEqual(applicant.email_from, "emily.carter@example.co.uk")
        self.assertEqual(applicant.partner_phone, "+447911123456")
        self.assertEqual(applicant.linkedin_profile, "https://www.linkedin.com/in/emily-carter-dev")
        self.assertEqual(applicant.partner_id.email, "emily.carter@example.co.uk", "the stock contact is made")
        self.assertCredits(self.ocr_account, self.balance - 1)
        hold = self.ocr_account.transaction_ids.filtered(lambda t: t.origin_ref == applicant)
        self.assertEqual(hold.kind, "reservation")
        self.assertEqual(
            self.ocr_account.transaction_ids.filtered(lambda t: t.hold_id == hold).mapped("kind"), ["capture"]
        )
        body = applicant.message_ids[0].body
        self.assertIn("CV digitized", body)
        self.assertIn("+447911123456", body)
        self.assertIn("1.00&nbsp;Credits spent", str(body))

        # The queue is empty: running it again charges nothing more.
        self.assertEqual(self.env["hr.applicant"]._digitize_queued(), 0)
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_never_overwrites_what_the_recruiter_typed(self):
        resume = self.resumes["fr_classic"]
        applicant = self._applicant(
            corpus.render_pdf(resume), partner_name="Camille L.", email_from="camille@typed.example.com"
        )
        self._digitize(applicant)
        self.assertEqual(applicant.digitization_state, "done")
        self.assertEqual((applicant.partner_name, applicant.email_from), ("Camille L.", "camille@typed.example.com"))
        # Empty fields are still filled. The company is British: the CV's "06 12 34 56 78",
        # invalid in the UK, is read in the country of the CV's language.
        self.assertEqual(applicant.partner_phone, "+33612345678")
        self.assertEqual(applicant.linkedin_profile, "https://www.linkedin.com/in/camille-lefevre")

    def test_phone_region_is_the_companys(self):
        """An American CV's "(415) 555-2671" is a phone number for an American company; for
        a British one it is no valid number at all (English reads as British): left empty."""
        pdf = corpus.render_pdf(self.resumes["en_us_two_column"])
        applicant = self._digitize(self._applicant(pdf))
        self.assertEqual(applicant.digitization_state, "done")
        self.assertFalse(applicant.partner_phone)
        self.assertEqual(applicant.partner_name, "Michael Johnson")
        self.company.country_id = self.env.ref("base.us")
        applicant = self._digitize(self._applicant(pdf))
        self.assertEqual(applicant.partner_phone, "+14155552671")

    def test_chinese_cv(self):
        applicant = self._digitize(self._applicant(corpus.render_pdf(self.resumes["zh_classic"])))
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        self.assertEqual(
            (applicant.partner_name, applicant.email_from, applicant.partner_phone),
            ("王丽娜", "wanglina@example.cn", "+8613800138000"),
        )

    def test_scanned_cv_is_read_by_ocr(self):
        """A photo of a CV (JPEG, no text layer): Tesseract reads it, in the CV languages."""
        self.company.country_id = self.env.ref("base.be")
        resume = self.resumes["be_fr_labelled"]
        scan, mimetype = corpus.render_scan(resume)
        applicant = self._digitize(self._applicant(scan, mimetype, "cv.png"))
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        truth = resume.truth()
        self.assertEqual(
            (applicant.partner_name, applicant.email_from, applicant.partner_phone, applicant.linkedin_profile),
            (truth["name"], truth["email"], truth["phone"], truth["linkedin"]),
        )
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_cv_without_contact_details_is_not_charged(self):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=A4)
        for index, line in enumerate(["Jane Doe", "Experience", "2019 - 2025 Analyst at a bank in the City"]):
            pdf.drawString(50, 780 - 20 * index, line)
        pdf.showPage()
        pdf.save()
        applicant = self._digitize(self._applicant(buffer.getvalue()))
        self.assertEqual((applicant.digitization_state, applicant.digitization_error_code), ("failed", "unreadable"))
        self.assertEqual(
            applicant.digitization_error,
            "No e-mail address, phone number or LinkedIn profile could be read from the CV.",
        )
        self.assertFalse(applicant.partner_name, "a failed reading fills nothing")
        self.assertCredits(self.ocr_account, self.balance)
        self.assertIn("nothing was charged", applicant.message_ids[0].body)

    def test_unreadable_scan_is_not_charged(self):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (1240, 1754), 255).save(buffer, "PNG")
        applicant = self._digitize(self._applicant(buffer.getvalue(), "image/png", "blank.png"))
        self.assertEqual((applicant.digitization_state, applicant.digitization_error_code), ("failed", "unreadable"))
        self.assertCredits(self.ocr_account, self.balance)

    def test_insufficient_credit_shows_buy_credit(self):
        self.ocr_account._credits_debit(self.ocr_account.credit_available, "Spent elsewhere")
        self.balance = self.ocr_account.credit_balance
        applicant = self._digitize(self._applicant(corpus.render_pdf(self.resumes["de_classic"])))
        self.assertEqual(applicant.digitization_error_code, "no_credit")
        self.assertTrue(applicant.digitization_credits_url)
        self.assertFalse(applicant.email_from)
        self.assertCredits(self.ocr_account, self.balance)

    def test_digitize_cv_needs_a_document(self):
        applicant = self.env["hr.applicant"].create({"partner_name": "No CV"})
        self.assertFalse(applicant.digitization_can_request)
        with self.assertRaisesRegex(UserError, "Attach the CV"):
            applicant.action_digitize()
        applicant = self._applicant(corpus.render_pdf(self.resumes["de_classic"]))
        applicant.action_digitize()
        with self.assertRaisesRegex(UserError, "already queued"):
            applicant.action_digitize()

    def test_cvs_and_bills_share_the_queue(self):
        """One queue, one price: a bill and a CV queued together are both read by the job of
        the mixin, each charged one credit of the same account."""
        from odoo.addons.iap_credits.tests import digitization_corpus as bills

        move = self.env["account.move"].create({"move_type": "in_invoice"})
        move.message_main_attachment_id = self.env["ir.attachment"].create(
            {
                "name": "bill.pdf",
                "raw": bills.render_pdf(bills.BILLS[0]),
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": move.id,
            }
        )
        applicant = self._applicant(corpus.render_pdf(self.resumes["de_classic"]))
        move.action_digitize()
        applicant.action_digitize()
        self.assertEqual(self.env["iap.digitization.mixin"]._digitize_queued(limit=10), 2)
        self.assertEqual((move.digitization_state, applicant.digitization_state), ("done", "done"))
        self.assertCredits(self.ocr_account, self.balance - 2)

    def test_http_gateway_answers_are_checked(self):
        ResumeExtractionApi.requests = []
        url = serve(self, ResumeExtractionApi)
        self.ocr_account.write(
            {
                "digitization_gateway": "http",
                "digitization_http_url": f"{url}/extract",
            }
        )
        applicant = self._digitize(self._applicant(corpus.render_pdf(self.resumes["en_gb_classic"])))
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        self.assertEqual(ResumeExtractionApi.requests[0]["document_type"], "resume")
        self.assertEqual(applicant.partner_name, "Grace Hopper")
        self.assertEqual(applicant.partner_phone, "+442079460958", "E.164, read in the company's country")
        self.assertFalse(applicant.email_from, "not an address: left empty")
        self.assertFalse(applicant.linkedin_profile, "not a LinkedIn profile: left empty")
        self.assertCredits(self.ocr_account, self.balance - 1)

    def test_simplified_chinese(self):
        """The bridges' own translations load, and every term of their templates is translated."""
        import polib

        self.env["res.lang"]._activate_lang("zh_CN")
        bridges = ["iap_credits", "iap_credits_hr_recruitment", "iap_credits_hr_recruitment_skills"]
        self.env["ir.module.module"].search([("name", "in", bridges)])._update_translations(["zh_CN"], overwrite=True)
        applicant = self.env["hr.applicant"].with_context(lang="zh_CN").create({"partner_name": "No CV"})
        with self.assertRaisesRegex(UserError, "请先为 No CV 附加简历"):
            applicant.action_digitize()
        label = applicant.fields_get(["digitization_attachment_id"])["digitization_attachment_id"]["string"]
        self.assertEqual(label, "已数字化的文档")
        folder = os.path.dirname(os.path.dirname(corpus.__file__))
        for module in bridges[1:]:
            po = polib.pofile(os.path.join(os.path.dirname(folder), module, "i18n", "zh_CN.po"))
            pot = polib.pofile(os.path.join(os.path.dirname(folder), module, "i18n", f"{module}.pot"))
            with self.subTest(module=module):
                self.assertEqual({entry.msgid for entry in po}, {entry.msgid for entry in pot}, "po up to date")
                self.assertEqual([entry.msgid for entry in po if not entry.msgstr], [], "untranslated terms")

    def test_demo_cv_was_digitized_for_one_credit(self):
        applicant = self.env.ref("iap_credits_hr_recruitment.hr_applicant_digitize_demo", raise_if_not_found=False)
        if not applicant:
            self.skipTest("installed without demo data")
        truth = corpus.DEMO_RESUME.truth()
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        self.assertEqual(
            (applicant.partner_name, applicant.email_from, applicant.partner_phone, applicant.linkedin_profile),
            (truth["name"], truth["email"], truth["phone"], truth["linkedin"]),
        )
        demo_account = self.env.ref("iap_credits.iap_account_invoice_ocr_demo")
        moves = demo_account.transaction_ids.filtered(lambda t: t.origin_ref == applicant)
        hold = moves.filtered(lambda t: t.kind == "reservation")
        captures = demo_account.transaction_ids.filtered(lambda t: t.hold_id == hold and t.kind == "capture")
        self.assertEqual(len(hold), 1)
        self.assertEqual(captures.mapped("credits"), [-1.0])
        with open(corpus.__file__.replace("tests/resume_corpus.py", "demo/files/cv_olivia_bennett.pdf"), "rb") as file:
            self.assertEqual(applicant.message_main_attachment_id.raw, file.read(), "the demo file is the corpus'")
