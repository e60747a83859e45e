# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Accuracy of CV digitization (text → contact fields) on a generated corpus, with real OCR.

No ORM here: the tools are plain Python. The text layer and Tesseract really run, once per
corpus document for the whole class, the way the Tesseract gateway reads CVs (their own
languages, automatic page segmentation), two at a time: the machine has two cores.
"""

from concurrent.futures import ThreadPoolExecutor

from odoo.tests.common import BaseCase

try:
    import pytest
except ImportError:  # Odoo's own test runner
    pytest = None

from odoo.addons.iap_credits.tools import digitization, document_text

from ..models.hr_applicant import DEFAULT_RESUME_LANGUAGES
from ..tools import resume_extract
from . import resume_corpus as corpus

TEXT_PDF_TARGET = 0.95
SCAN_TARGET = 0.95
CONTACT_FIELDS = ["name", "email", "phone", "linkedin"]
# Skill names as the stock hr_skills data has them, with the translations CVs print in
# French, German and Chinese (the ORM test reads them from the records).
SKILL_CATALOG = {
    "Python": ["Python"], "Javascript": ["Javascript"], "Java": ["Java"], "Kotlin": ["Kotlin"],
    "Android": ["Android"], "Go": ["Go"], "R": ["R"], "PHP": ["PHP"], "C#": ["C#"], "C/C++": ["C/C++"],
    "React": ["React"], "Django": ["Django"], "Spark": ["Spark"], "Hadoop": ["Hadoop"], "Swift": ["Swift"],
    "DevOps": ["DevOps"], "Cloud computing": ["Cloud computing"], "Scrum Master": ["Scrum Master"],
    "Machine Learning (AI)": ["Machine Learning (AI)"],
    "Data analysis/visualization": ["Data analysis/visualization"],
    "Agile and Scrum methodologies": ["Agile and Scrum methodologies"],
    "Project Management": ["Project Management", "Gestion de projet", "Projektmanagement", "项目管理"],
    "Digital advertising": ["Digital advertising"], "Email Marketing": ["Email Marketing"],
    "Public Speaking": ["Public Speaking"], "Communication": ["Communication", "Kommunikation", "沟通"],
    "Teamwork": ["Teamwork", "Travail d'équipe", "Teamarbeit", "团队合作"],
    "Leadership": ["Leadership", "Führung", "领导力"], "Time Management": ["Time Management"],
    "Organizational": ["Organizational"], "Problem-Solving": ["Problem-Solving"],
    "Critical Thinking": ["Critical Thinking"],
    "English": ["English", "Anglais", "Englisch", "英语"], "French": ["French", "Français", "Französisch", "法语"],
    "German": ["German", "Allemand", "Deutsch", "德语"], "Spanish": ["Spanish", "Espagnol", "Spanisch"],
}  # fmt: skip
CATALOG_BY_NAME = {name: key for key, names in SKILL_CATALOG.items() for name in names}


class TestResumeAccuracy(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def read(resume):
            pdf = corpus.render_pdf(resume)
            scan, mimetype = corpus.render_scan(resume, pdf)
            return [
                (resume, subset, kind, document_text.document_to_text(
                    data, kind, languages=DEFAULT_RESUME_LANGUAGES, psm=document_text.PSM_AUTO
                ))
                for subset, data, kind in (("text", pdf, "application/pdf"), ("scan", scan, mimetype))
            ]  # fmt: skip

        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores
            reads = [item for items in pool.map(read, corpus.RESUMES) for item in items]
        cls.results = []
        for resume, subset, mimetype, document in reads:
            values = digitization.extract_fields("resume", document.text, region=resume.region)
            skills = resume_extract.find_skills(document.text, SKILL_CATALOG)
            cls.results.append((resume, subset, mimetype, document, values, skills))
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
        subsets = ("text", "scan")
        counts = {(subset, key): [0, 0] for subset in subsets for key in [*CONTACT_FIELDS, "skills"]}
        misses = []
        for resume, subset, mimetype, _read, values, skills in cls.results:
            for key, expected in resume.truth().items():
                if expected is None:  # not printed: see test_fields_not_printed_stay_empty
                    continue
                ok = values.get(key) == expected
                counts[subset, key][0] += ok
                counts[subset, key][1] += 1
                if not ok:
                    misses.append(
                        f"  {subset:4} {resume.key} ({mimetype}) {key}: want {expected!r}, got {values.get(key)!r}"
                    )
            expected_skills = {CATALOG_BY_NAME[name] for name in resume.skills}
            found = set(skills)
            counts[subset, "skills"][0] += len(found & expected_skills) - len(found - expected_skills)
            counts[subset, "skills"][1] += len(expected_skills)
            if found != expected_skills:
                misses.append(
                    f"  {subset:4} {resume.key} ({mimetype}) skills: missing {sorted(expected_skills - found)}, "
                    f"extra {sorted(found - expected_skills)}"
                )
        totals = {
            subset: [sum(counts[subset, key][index] for key in CONTACT_FIELDS) for index in (0, 1)]
            for subset in subsets
        }
        harsh = sum(1 for resume in corpus.RESUMES if resume.scan[1] < 300)
        lines = [
            "CV digitization accuracy (fields correct / fields printed)",
            f"{'field':16} {'text PDF':>14} {'scanned':>14}",
        ]
        for key in CONTACT_FIELDS:
            text, scan = counts["text", key], counts["scan", key]
            lines.append(f"{key:16} {text[0]:>6}/{text[1]:<3} {scan[0]:>8}/{scan[1]:<3}")
        ratio = {subset: totals[subset][0] / totals[subset][1] for subset in subsets}
        text, scan = totals["text"], totals["scan"]
        lines.append(f"{'contact fields':16} {text[0]:>6}/{text[1]:<3} {scan[0]:>8}/{scan[1]:<3}")
        lines.append(
            f"{'accuracy':16} {ratio['text']:>13.1%} {ratio['scan']:>13.1%}"
            f"   (targets {TEXT_PDF_TARGET:.0%} / {SCAN_TARGET:.0%}; {len(corpus.RESUMES)} CVs each, "
            f"{harsh} harsh scans)"
        )
        text, scan = counts["text", "skills"], counts["scan", "skills"]
        lines.append(
            f"{'skills':16} {text[0]:>6}/{text[1]:<3} {scan[0]:>8}/{scan[1]:<3}   (found less wrong / printed)"
        )
        skills = {subset: counts[subset, "skills"][0] / counts[subset, "skills"][1] for subset in subsets}
        return {"ratio": ratio, "skills": skills, "report": "\n".join(lines + misses)}

    def test_accuracy_text_pdfs(self):
        self.assertGreaterEqual(self.table["ratio"]["text"], TEXT_PDF_TARGET, self.table["report"])

    def test_accuracy_scans(self):
        self.assertGreaterEqual(self.table["ratio"]["scan"], SCAN_TARGET, self.table["report"])

    def test_skills(self):
        self.assertGreaterEqual(self.table["skills"]["text"], 0.95, self.table["report"])
        self.assertGreaterEqual(self.table["skills"]["scan"], 0.85, self.table["report"])

    def test_fields_not_printed_stay_empty(self):
        for resume, subset, _mimetype, _read, values, _skills in self.results:
            for key, expected in resume.truth().items():
                if expected is None:
                    with self.subTest(resume=resume.key, subset=subset, field=key):
                        self.assertIsNone(values.get(key))

    def test_ocr_only_where_needed(self):
        for resume, subset, mimetype, read, _values, _skills in self.results:
            with self.subTest(resume=resume.key, subset=subset):
                self.assertEqual(read.method, "text" if subset == "text" else "ocr", mimetype)

    def test_every_cv_is_worth_its_credit(self):
        """Each CV of the corpus is a success of the extractor (charged), text or scan."""
        for resume, subset, _mimetype, _read, values, _skills in self.results:
            with self.subTest(resume=resume.key, subset=subset):
                self.assertTrue(digitization.is_successful("resume", values), values)

    def test_corpus_is_varied(self):
        self.assertGreaterEqual(len(corpus.RESUMES), 10)
        self.assertEqual({resume.lang for resume in corpus.RESUMES}, {"en", "fr", "de", "zh"})
        self.assertEqual({resume.layout for resume in corpus.RESUMES}, {"classic", "modern", "two_column", "labelled"})
        self.assertEqual(
            {mimetype for _r, subset, mimetype, *_rest in self.results if subset == "scan"},
            {"application/pdf", "image/png", "image/jpeg"},
        )
        harsh = [resume for resume in corpus.RESUMES if resume.scan[1] <= 150]
        self.assertGreaterEqual(len(harsh), 3)
        self.assertTrue(all(abs(resume.scan[2]) >= 2.5 for resume in harsh))
        self.assertGreaterEqual(len({resume.phone_e164[:3] for resume in corpus.RESUMES}), 8, "countries")


class TestResumeParsers(BaseCase):
    """The field parsers on their own: formats, OCR slips, refusals."""

    def test_phones(self):
        for line, region, expected in [
            ("Phone: +44 7911 123456", None, "+447911123456"),
            ("Tel. 06 12 34 56 78", "FR", "+33612345678"),
            ("Mobil: 0151 23456789", "DE", "+4915123456789"),
            ("+49 (0)30 12345678", None, "+493012345678"),
            ("电话：139 1234 5678", "CN", "+8613912345678"),  # noqa: RUF001 (Chinese punctuation)
            ("(415) 555-2671", "US", "+14155552671"),
            ("+41 79 123 45 67", "DE", "+41791234567"),  # international: the region does not matter
            ("+33 6 I2 34 56 78", None, None),  # an OCR slip that is not a digit: no guess
        ]:
            with self.subTest(line=line):
                self.assertEqual(resume_extract.find_phone([line], region), expected)
        # A national number is read in the first country where it is valid.
        self.assertEqual(resume_extract.find_phone(["06 12 34 56 78"], "GB", "FR"), "+33612345678")
        self.assertEqual(resume_extract.find_phone(["(415) 555-2671"], "GB"), None)

    def test_dates_and_postcodes_are_not_phones(self):
        lines = ["2015 - 2019   Software Developer, 10115 Berlin", "Hauptstraße 5, 10115 Berlin", "1984 - 2025"]
        self.assertIsNone(resume_extract.find_phone(lines, "DE"))
        # The phone of the side column is read apart from the dates of the main column.
        two_columns = ["+33 7 81 23 45 67      2016 - 2025 Chef de projet"]
        self.assertEqual(resume_extract.find_phone(two_columns, "FR"), "+33781234567")

    def test_emails_with_ocr_slips(self):
        for text, expected in [
            ("E-mail: camille.lefevre@exemple. fr", "camille.lefevre@exemple.fr"),
            ("jb.moreau@exemple fr   Expérience", "jb.moreau@exemple.fr"),
            ("|. schneider@beispiel.de", "l.schneider@beispiel.de"),
            ("Mail: Jane.Doe @ Example.com", "jane.doe@example.com"),
            ("l.schneider @beïspiel.de", "l.schneider@beispiel.de"),  # accented look-alikes
            ("sarah@example. \u0131e", "sarah@example.ie"),  # a dotless i
            ("write to jane@example and we will answer", None),
            ("no address here", None),
        ]:
            with self.subTest(text=text):
                self.assertEqual(resume_extract.find_email(text), expected)

    def test_linkedin(self):
        for text, expected in [
            ("linkedin.com/in/jane-doe-123", "https://www.linkedin.com/in/jane-doe-123"),
            ("https://www.linkedin.com/in/jdupont/", "https://www.linkedin.com/in/jdupont"),
            ("LinkedIn: linkedin. com/in/ anna-mueller", "https://www.linkedin.com/in/anna-mueller"),
            ("linkedin.com/n/sarah-oconnor-mkt", "https://www.linkedin.com/in/sarah-oconnor-mkt"),  # "i" dropped
            ("www.linkedin.com/company/contoso", None),
        ]:
            with self.subTest(text=text):
                self.assertEqual(resume_extract.find_linkedin(text), expected)

    def test_names(self):
        for lines, email, expected in [
            (["Curriculum Vitae", "Name: Raj Patel", "Phone: +91 98765 43210"], None, "Raj Patel"),
            (["Nom : Sophie Martin"], None, "Sophie Martin"),
            (["SARAH O'CONNOR", "Marketing Manager"], None, "Sarah O'Connor"),
            (["Senior Software Engineer", "Emily Carter"], "emily.carter@example.co.uk", "Emily Carter"),
            (["CONTACT", "Public Speaking", "Michael Johnson"], "mike.johnson82@example.com", "Michael Johnson"),
            (["Anna Muller", "Softwareentwicklerin"], "anna.mueller@beispiel.de", "Anna Müller"),
            (["个人简历", "姓名：王 丽娜"], None, "王丽娜"),  # noqa: RUF001 (Chinese punctuation)
            (["产品经理", "联系方式"], None, None),
            (["KONTAKT", "- Scrum Master", "Lukas Schneider"], None, "Lukas Schneider"),  # a list item is no name
            (["Experience", "2019 - 2025 Data Analyst"], None, None),
        ]:
            with self.subTest(lines=lines):
                self.assertEqual(resume_extract.find_name(lines, email), expected)

    def test_language(self):
        self.assertEqual(resume_extract.guess_language("Berufserfahrung\nAusbildung\nKenntnisse"), "de")
        self.assertEqual(resume_extract.guess_language("Expérience professionnelle\nFormation"), "fr")
        self.assertEqual(resume_extract.guess_language("工作经历 教育背景 Python"), "zh")
        self.assertEqual(resume_extract.guess_language("Jane Doe"), "en")

    def test_skills_are_whole_words(self):
        skills = {"r": ["R"], "go": ["Go"], "java": ["Java"], "c#": ["C#"], "pm": ["Project Management"]}
        self.assertEqual(resume_extract.find_skills("Python, R, SQL and Go", skills), ["r", "go"])
        self.assertEqual(resume_extract.find_skills("R&D, go-live, JavaScript, John R. Smith", skills), [])
        self.assertEqual(resume_extract.find_skills("C#, .NET; PROJECT  management", skills), ["c#", "pm"])
        self.assertEqual(resume_extract.find_skills("", skills), [])

    def test_unreadable_cv_is_not_charged(self):
        values = digitization.extract_fields("resume", "Jane Doe\nExperience\n2019 - 2025 Analyst")
        self.assertEqual(values["name"], "Jane Doe")
        self.assertFalse(digitization.is_successful("resume", values), "a name alone is not worth a credit")
