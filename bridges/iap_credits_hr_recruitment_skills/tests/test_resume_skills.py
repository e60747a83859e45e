# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Digitize CV with `hr_recruitment_skills`: the skills the CV names are added to the applicant."""

from odoo.addons.iap_credits.tests.common import IapCreditsCase, load_zh_cn
from odoo.addons.iap_credits_hr_recruitment.tests import resume_corpus as corpus


class TestResumeSkills(IapCreditsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ocr_account = cls.env["iap.credit.dispatch"]._get_account("invoice_ocr", cls.company)
        cls.ocr_account.write({"credit_mode": "local", "digitization_gateway": "tesseract"})
        cls.ocr_account._credits_grant(10, "Test credits")
        cls.resumes = {resume.key: resume for resume in corpus.RESUMES}
        # Skills of this test, whatever demo data the database has: a programming language
        # type with levels, a certification type (never added: it needs validity dates).
        cls.languages_type = cls.env["hr.skill.type"].create(
            {
                "name": "Test programming",
                "skill_level_ids": [
                    (0, 0, {"name": "Junior", "level_progress": 20}),
                    (0, 0, {"name": "Confirmed", "level_progress": 60, "default_level": True}),
                ],
                "skill_ids": [(0, 0, {"name": name}) for name in ("Kotlin", "Android", "Java", "Go", "Cobol")],
            }
        )
        cls.certification_type = cls.env["hr.skill.type"].create(
            {
                "name": "Test certifications",
                "is_certification": True,
                "skill_level_ids": [(0, 0, {"name": "Certified", "level_progress": 100})],
                "skill_ids": [(0, 0, {"name": "Teamwork certificate"}), (0, 0, {"name": "Teamwork"})],
            }
        )
        cls.skill = {skill.name: skill for skill in (cls.languages_type | cls.certification_type).skill_ids}

    def _applicant(self, resume, **values):
        applicant = self.env["hr.applicant"].create(values)
        applicant.message_main_attachment_id = self.env["ir.attachment"].create(
            {
                "name": "cv.pdf",
                "raw": corpus.render_pdf(resume),
                "mimetype": "application/pdf",
                "res_model": "hr.applicant",
                "res_id": applicant.id,
            }
        )
        return applicant

    def _digitize(self, applicant):
        applicant.action_digitize()
        self.env["hr.applicant"]._digitize_queued()
        self.assertEqual(applicant.digitization_state, "done", applicant.digitization_error)
        return applicant

    def test_skills_named_in_the_cv_are_added(self):
        # de_classic names Java, Kotlin, Android, Deutsch and Teamwork.
        skills_before = self.env["hr.skill"].search_count([])
        applicant = self._digitize(self._applicant(self.resumes["de_classic"]))
        added = applicant.applicant_skill_ids.filtered(lambda s: s.skill_type_id == self.languages_type)
        self.assertEqual(
            set(added.skill_id.mapped("name")), {"Java", "Kotlin", "Android"}, "not Go nor Cobol: not printed"
        )
        self.assertEqual(set(added.skill_level_id.mapped("name")), {"Confirmed"}, "the type's default level")
        self.assertNotIn(self.skill["Teamwork"], applicant.applicant_skill_ids.skill_id, "a certification needs dates")
        self.assertEqual(self.env["hr.skill"].search_count([]), skills_before, "never a new skill record")
        self.assertIn("Skills added", applicant.message_ids[0].body)
        self.assertIn("Kotlin", applicant.message_ids[0].body)

    def test_skills_already_set_are_kept(self):
        level = self.languages_type.skill_level_ids.filtered(lambda lvl: lvl.name == "Junior")
        applicant = self._applicant(
            self.resumes["de_classic"],
            applicant_skill_ids=[
                (0, 0, {"skill_id": self.skill["Java"].id, "skill_type_id": self.languages_type.id,
                        "skill_level_id": level.id}),
            ],
        )  # fmt: skip
        self._digitize(applicant)
        java = applicant.applicant_skill_ids.filtered(lambda s: s.skill_id == self.skill["Java"])
        self.assertEqual(java.skill_level_id, level, "the recruiter's level stays")
        self.assertIn(self.skill["Kotlin"], applicant.applicant_skill_ids.skill_id)

    def test_skill_names_in_other_languages(self):
        """A skill is found by its name in any installed language: a Chinese CV's 英语."""
        load_zh_cn(self.env)
        english = self.env["hr.skill"].create({"name": "English (test)", "skill_type_id": self.languages_type.id})
        english.with_context(lang="zh_CN").name = "英语"
        applicant = self.env["hr.applicant"].create({})
        found = applicant._digitization_find_skills({"text": "专业技能：英语，Java"})  # noqa: RUF001 (Chinese punctuation)
        self.assertEqual(found & (english | self.skill["Java"] | self.skill["Kotlin"]), english | self.skill["Java"])
        # An external gateway's list of skill names is matched the same way.
        found = applicant._digitization_find_skills({"skills": ["kotlin", 42, None]})
        self.assertEqual(found & (english | self.skill["Java"] | self.skill["Kotlin"]), self.skill["Kotlin"])
