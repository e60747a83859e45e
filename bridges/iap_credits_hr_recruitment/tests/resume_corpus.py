# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""A corpus of résumés generated for the digitization tests, with their truth.

Twelve CVs in English, French, German and Simplified Chinese, of four layouts (classic,
modern with the contact details on one line, two columns with a contact side bar, and
labelled "Name: …" forms), with national and international phone numbers of nine
countries. Each is rendered as a text PDF (reportlab; the Chinese ones with the
WenQuanYi Micro Hei font embedded) and as a scan: the PDF rasterised by poppler, rotated,
blurred and speckled (Pillow), then saved as an image-only PDF, a PNG or a JPEG. Four
scans are harsh: 150 dpi, a skew of 2.5 to 3°, JPEG quality 35. Everything is
deterministic (seeded), so the accuracy figures are stable from run to run.
"""

import io
import random
from dataclasses import dataclass, field

# The font the Chinese CVs are drawn with (Debian's fonts-wqy-microhei, see dev/setup.sh).
CJK_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CJK_FONT = "WenQuanYiMicroHei"

SECTIONS = {
    "en": {"profile": "Profile", "experience": "Experience", "education": "Education", "skills": "Skills",
           "languages": "Languages", "contact": "Contact", "email": "Email", "phone": "Phone",
           "name": "Name", "title": "Curriculum Vitae"},
    "fr": {"profile": "Profil", "experience": "Expérience professionnelle", "education": "Formation",
           "skills": "Compétences", "languages": "Langues", "contact": "Contact", "email": "E-mail",
           "phone": "Téléphone", "name": "Nom", "title": "Curriculum Vitae"},
    "de": {"profile": "Profil", "experience": "Berufserfahrung", "education": "Ausbildung",
           "skills": "Kenntnisse", "languages": "Sprachen", "contact": "Kontakt", "email": "E-Mail",
           "phone": "Telefon", "name": "Name", "title": "Lebenslauf"},
    "zh": {"profile": "自我评价", "experience": "工作经历", "education": "教育背景", "skills": "专业技能",
           "languages": "语言", "contact": "联系方式", "email": "邮箱", "phone": "电话", "name": "姓名",
           "title": "个人简历"},
}  # fmt: skip


@dataclass
class CorpusResume:
    """One CV of the corpus: what is printed on it, and so what extraction must find."""

    key: str
    lang: str
    layout: str  # classic, modern, two_column, labelled
    name: str  # as printed
    job_title: str
    email: str
    phone: str  # as printed
    phone_e164: str
    linkedin: str | None  # the slug after linkedin.com/in/
    address: str
    skills: list  # skill names printed (stock hr_skills names)
    experience: list  # (years, role, company)
    education: list  # (years, degree)
    scan: tuple  # (kind: pdf/png/jpeg, dpi, angle in degrees, jpeg quality)
    name_truth: str | None = None  # the name as extraction returns it, when not as printed
    region: str | None = None  # the company country the test reads national numbers in
    extra: list = field(default_factory=list)  # more lines of the profile

    def truth(self):
        """The contact fields extraction must find (see ``resume_extract.extract_resume``)."""
        return {
            "name": self.name_truth or self.name,
            "email": self.email.lower(),
            "phone": self.phone_e164,
            "linkedin": f"https://www.linkedin.com/in/{self.linkedin}" if self.linkedin else None,
        }

    @property
    def labels(self):
        return SECTIONS[self.lang]


RESUMES = [
    CorpusResume(
        "en_gb_classic", "en", "classic", "Emily Carter", "Senior Software Engineer",
        "emily.carter@example.co.uk", "+44 7911 123456", "+447911123456", "emily-carter-dev",
        "27 Camden Road, London NW1 9LR",
        ["Python", "Django", "Project Management", "English", "French"],
        [("2019 - 2025", "Senior Software Engineer", "Northwind Digital, London"),
         ("2015 - 2019", "Software Developer", "Contoso Ltd, Manchester")],
        [("2011 - 2015", "BSc Computer Science, University of Leeds")],
        ("pdf", 300, 0.8, None),
    ),
    CorpusResume(
        "en_us_two_column", "en", "two_column", "Michael Johnson", "Data Analyst",
        "mike.johnson82@example.com", "(415) 555-2671", "+14155552671", "michaeljohnson",
        "1450 Mission St, San Francisco, CA 94103",
        ["Python", "Data analysis/visualization", "Machine Learning (AI)", "Communication", "R"],
        [("2020 - 2025", "Data Analyst", "Fabrikam Inc., San Francisco"),
         ("2017 - 2020", "Junior Analyst", "Tailspin Toys, Oakland")],
        [("2013 - 2017", "BA Statistics, UC Davis")],
        ("png", 300, -1.1, None), region="US",
    ),
    CorpusResume(
        "en_ie_modern", "en", "modern", "SARAH O'CONNOR", "Marketing Manager",
        "sarah.oconnor@example.ie", "+353 87 123 4567", "+353871234567", "sarah-oconnor-mkt",
        "14 Grafton Street, Dublin 2",
        ["Digital advertising", "Email Marketing", "Public Speaking", "Leadership", "English"],
        [("2018 - 2025", "Marketing Manager", "Litware Group, Dublin"),
         ("2014 - 2018", "Marketing Executive", "Adventure Works, Cork")],
        [("2010 - 2014", "BComm, University College Cork")],
        ("jpeg", 150, 2.5, 35), name_truth="Sarah O'Connor",
    ),
    CorpusResume(
        "en_in_labelled", "en", "labelled", "Raj Patel", "DevOps Engineer",
        "raj.patel@example.in", "+91 98765 43210", "+919876543210", None,
        "Flat 12, MG Road, Bengaluru 560001",
        ["DevOps", "Cloud computing", "Go", "Java", "Teamwork"],
        [("2019 - 2025", "DevOps Engineer", "Proseware Technologies, Bengaluru"),
         ("2016 - 2019", "System Administrator", "Wide World Importers, Pune")],
        [("2012 - 2016", "B.Tech Information Technology, VIT Vellore")],
        ("pdf", 300, -0.6, None),
    ),
    CorpusResume(
        "fr_classic", "fr", "classic", "Camille Lefèvre", "Développeuse Full Stack",
        "camille.lefevre@exemple.fr", "06 12 34 56 78", "+33612345678", "camille-lefevre",
        "12 rue de la République, 69002 Lyon",
        ["Javascript", "React", "PHP", "Teamwork", "Français"],
        [("2020 - 2025", "Développeuse Full Stack", "Agence Lumière, Lyon"),
         ("2017 - 2020", "Développeuse web", "Studio Rhône, Villeurbanne")],
        [("2014 - 2017", "Licence informatique, Université Lyon 1")],
        ("jpeg", 300, 1.0, 70), region="FR",
    ),
    CorpusResume(
        "fr_two_column", "fr", "two_column", "Jean-Baptiste Moreau", "Chef de projet",
        "jb.moreau@exemple.fr", "+33 7 81 23 45 67", "+33781234567", "jbmoreau",
        "8 avenue Jean Jaurès, 75019 Paris",
        ["Project Management", "Agile and Scrum methodologies", "Leadership", "Communication"],
        [("2016 - 2025", "Chef de projet", "Transports Lefèvre, Paris"),
         ("2012 - 2016", "Chargé de mission", "Groupe Horizon, Lille")],
        [("2007 - 2012", "Master Management de projet, Université Paris-Dauphine")],
        ("pdf", 150, -3.0, None),
    ),
    CorpusResume(
        "be_fr_labelled", "fr", "labelled", "Sophie Martin", "Comptable",
        "sophie.martin@exemple.be", "+32 470 12 34 56", "+32470123456", "sophie-martin-be",
        "Rue de Namur 44, 5000 Namur",
        ["Time Management", "Organizational", "English", "Problem-Solving"],
        [("2018 - 2025", "Comptable", "Imprimerie Wallonne SRL, Namur"),
         ("2015 - 2018", "Assistante comptable", "Fiduciaire Meuse, Liège")],
        [("2012 - 2015", "Bachelier en comptabilité, HEPL Liège")],
        ("png", 300, 0.5, None), region="BE",
    ),
    CorpusResume(
        "de_classic", "de", "classic", "Anna Müller", "Softwareentwicklerin",
        "anna.mueller@beispiel.de", "0151 23456789", "+4915123456789", "anna-mueller",
        "Hauptstraße 5, 10115 Berlin",
        ["Java", "Kotlin", "Android", "Deutsch", "Teamwork"],
        [("2019 - 2025", "Softwareentwicklerin", "Müller Bürobedarf GmbH, Berlin"),
         ("2016 - 2019", "Werkstudentin", "Schmidt Logistik KG, Hamburg")],
        [("2012 - 2018", "M.Sc. Informatik, TU Berlin")],
        ("pdf", 300, 1.2, None), region="DE",
    ),
    CorpusResume(
        "de_two_column", "de", "two_column", "Lukas Schneider", "Projektleiter",
        "l.schneider@beispiel.de", "+49 (0)30 12345678", "+493012345678", None,
        "Industriestraße 12, 20457 Hamburg",
        ["Project Management", "Scrum Master", "Leadership", "English"],
        [("2017 - 2025", "Projektleiter", "Schmidt Logistik KG, Hamburg"),
         ("2013 - 2017", "Berater", "Alpen Software AG, Zürich")],
        [("2008 - 2013", "Diplom Wirtschaftsingenieurwesen, KIT Karlsruhe")],
        ("jpeg", 150, 2.8, 35),
    ),
    CorpusResume(
        "ch_de_modern", "de", "modern", "Lea Brunner", "Data Scientist",
        "lea.brunner@beispiel.ch", "+41 79 123 45 67", "+41791234567", "lea-brunner-ch",
        "Bahnhofstrasse 10, 8001 Zürich",
        ["Python", "Machine Learning (AI)", "Spark", "Critical Thinking"],
        [("2021 - 2025", "Data Scientist", "Alpen Software AG, Zürich"),
         ("2018 - 2021", "Analystin", "Helvetia Daten AG, Basel")],
        [("2013 - 2018", "M.Sc. Statistik, ETH Zürich")],
        ("png", 300, -0.9, None),
    ),
    CorpusResume(
        "zh_classic", "zh", "labelled", "王丽娜", "软件工程师",
        "wanglina@example.cn", "+86 138 0013 8000", "+8613800138000", "wang-lina",
        "上海市浦东新区世纪大道100号",
        ["Python", "Java", "Leadership", "English"],
        [("2018 - 2025", "软件工程师", "上海云计算科技有限公司"),
         ("2015 - 2018", "初级开发工程师", "杭州数据服务有限公司")],
        [("2011 - 2015", "复旦大学 计算机科学 学士")],
        ("pdf", 300, 0.7, None),
    ),
    CorpusResume(
        "zh_two_column", "zh", "two_column", "张伟", "产品经理",
        "zhangwei@example.cn", "139 1234 5678", "+8613912345678", None,
        "北京市海淀区中关村大街1号",
        ["Project Management", "Communication", "Teamwork"],
        [("2017 - 2025", "产品经理", "北京智能科技有限公司"),
         ("2014 - 2017", "产品助理", "深圳网络有限公司")],
        [("2010 - 2014", "北京大学 信息管理 学士")],
        ("jpeg", 150, -2.5, 35), region="CN",
    ),
]  # fmt: skip
# The CV of the demo data (demo/files/cv_demo_olivia_bennett.pdf): a scan.
DEMO_RESUME = CorpusResume(
    "demo_en_two_column", "en", "two_column", "Olivia Bennett", "Full Stack Developer",
    "olivia.bennett@example.com", "+44 7456 123789", "+447456123789", "olivia-bennett-dev",
    "8 Kings Road, Brighton BN1 2NF",
    ["Python", "Javascript", "React", "Project Management", "English", "French"],
    [("2020 - 2025", "Full Stack Developer", "Brighton Web Works"),
     ("2017 - 2020", "Web Developer", "Seaside Digital, Hove")],
    [("2013 - 2017", "BSc Software Engineering, University of Sussex")],
    ("pdf", 300, 0.6, None),
)  # fmt: skip


# ------------------------------------------------------------
# RENDERING
# ------------------------------------------------------------


def render_pdf(resume):
    """The CV as a text PDF (A4), drawn with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{resume.name} - CV")
    fonts = _fonts(resume)
    _LAYOUTS[resume.layout](pdf, resume, fonts, A4[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _fonts(resume):
    """(regular, bold) font names: Helvetica, or the embedded CJK font for Chinese CVs."""
    if resume.lang != "zh":
        return "Helvetica", "Helvetica-Bold"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(CJK_FONT, CJK_FONT_PATH, subfontIndex=0))
    return CJK_FONT, CJK_FONT


def _linkedin_text(resume):
    return f"linkedin.com/in/{resume.linkedin}" if resume.linkedin else None


def _sections(pdf, resume, fonts, x, y, width=None, with_skills=True):
    """Experience, education and (optionally) skills, from ``y`` down."""
    regular, bold = fonts
    lab = resume.labels
    blocks = [(lab["experience"], [f"{years}  {role}, {company}" for years, role, company in resume.experience])]
    blocks.append((lab["education"], [f"{years}  {degree}" for years, degree in resume.education]))
    if with_skills:
        blocks.append((lab["skills"], [", ".join(resume.skills)]))
    for title, rows in blocks:
        y -= 26
        pdf.setFont(bold, 12)
        pdf.drawString(x, y, title)
        pdf.setFont(regular, 10)
        for row in rows:
            y -= 16
            pdf.drawString(x, y, row)
    return y


def _layout_classic(pdf, resume, fonts, height):
    """Name and title at the top left, one contact detail a line, then the sections."""
    regular, bold = fonts
    lab = resume.labels
    pdf.setFont(bold, 22)
    pdf.drawString(50, height - 70, resume.name)
    pdf.setFont(regular, 12)
    pdf.drawString(50, height - 90, resume.job_title)
    y = height - 120
    pdf.setFont(regular, 10)
    rows = [resume.address, f"{lab['email']}: {resume.email}", f"{lab['phone']}: {resume.phone}"]
    if resume.linkedin:
        rows.append(f"LinkedIn: {_linkedin_text(resume)}")
    for row in rows:
        pdf.drawString(50, y, row)
        y -= 14
    _sections(pdf, resume, fonts, 50, y - 10)


def _layout_modern(pdf, resume, fonts, height):
    """Name centred in capitals, the contact details on one line between bars."""
    regular, bold = fonts
    pdf.setFont(bold, 24)
    pdf.drawCentredString(297, height - 70, resume.name)
    pdf.setFont(regular, 12)
    pdf.drawCentredString(297, height - 92, resume.job_title)
    pdf.setFont(regular, 9)
    parts = [resume.email, resume.phone, *([_linkedin_text(resume)] if resume.linkedin else [])]
    pdf.drawCentredString(297, height - 112, "  |  ".join(parts))
    pdf.drawCentredString(297, height - 126, resume.address)
    pdf.line(50, height - 136, 545, height - 136)
    _sections(pdf, resume, fonts, 50, height - 140)


def _layout_two_column(pdf, resume, fonts, height):
    """A grey side bar on the left with the contact details and skills, the name and the
    career on the right: the text layer and OCR put both columns on the same lines."""
    regular, bold = fonts
    lab = resume.labels
    pdf.setFillGray(0.92)
    pdf.rect(0, 0, 200, height, stroke=0, fill=1)
    pdf.setFillGray(0)
    pdf.setFont(bold, 22)
    pdf.drawString(220, height - 70, resume.name)
    pdf.setFont(regular, 12)
    pdf.drawString(220, height - 90, resume.job_title)
    y = height - 110
    pdf.setFont(bold, 11)
    pdf.drawString(20, y, lab["contact"].upper())
    pdf.setFont(regular, 8.5)
    rows = [resume.phone, resume.email, *([_linkedin_text(resume)] if resume.linkedin else [])]
    rows += _wrap(resume.address, 30 if resume.lang != "zh" else 14)
    for row in rows:
        y -= 14
        pdf.drawString(20, y, row)
    y -= 30
    pdf.setFont(bold, 11)
    pdf.drawString(20, y, lab["skills"].upper())
    pdf.setFont(regular, 9)
    for skill in resume.skills:
        y -= 14
        pdf.drawString(20, y, f"- {skill}")
    _sections(pdf, resume, fonts, 220, height - 110, with_skills=False)


def _layout_labelled(pdf, resume, fonts, height):
    """A form: title, then "Name: …", "E-mail: …" rows, then the sections."""
    regular, bold = fonts
    lab = resume.labels
    pdf.setFont(bold, 18)
    pdf.drawString(50, height - 60, lab["title"])
    y = height - 95
    colon = "：" if resume.lang == "zh" else ": "  # noqa: RUF001 (Chinese punctuation)
    rows = [(lab["name"], resume.name), (lab["phone"], resume.phone), (lab["email"], resume.email)]
    if resume.linkedin:
        rows.append(("LinkedIn", _linkedin_text(resume)))
    rows.append(("", resume.address))
    for label, value in rows:
        pdf.setFont(regular, 11)
        pdf.drawString(50, y, f"{label}{colon}{value}" if label else value)
        y -= 17
    pdf.setFont(regular, 11)
    pdf.drawString(50, y, resume.job_title)
    _sections(pdf, resume, fonts, 50, y - 10)


def _wrap(text, width):
    if len(text) <= width:
        return [text]
    if " " not in text:
        return [text[i : i + width] for i in range(0, len(text), width)]
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


_LAYOUTS = {
    "classic": _layout_classic,
    "modern": _layout_modern,
    "two_column": _layout_two_column,
    "labelled": _layout_labelled,
}


def render_scan(resume, pdf_data=None):
    """The CV as a scanner or a phone would deliver it: ``resume.scan`` says how.

    :return: (data, mimetype)
    """
    import pdf2image
    from PIL import Image, ImageChops, ImageFilter

    kind, dpi, angle, quality = resume.scan
    pdf_data = pdf_data or render_pdf(resume)
    page = pdf2image.convert_from_bytes(pdf_data, dpi=dpi, grayscale=True)[0]
    rng = random.Random(resume.key)
    page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.6 if dpi >= 300 else 0.4))
    # Sensor noise of ±21 grey levels, from the seeded generator (Pillow's own is not seeded).
    noise = Image.frombytes("L", page.size, rng.randbytes(page.width * page.height)).point(
        lambda v: 128 + (v - 128) // 6
    )
    page = ImageChops.add(page, noise, 1.0, -128)
    pixels = page.load()
    for _ in range(page.width * page.height // 2500):  # dust and specks
        pixels[rng.randrange(page.width), rng.randrange(page.height)] = rng.choice([0, 60, 255])
    buffer = io.BytesIO()
    if kind == "pdf":
        page.save(buffer, "PDF", resolution=dpi)
        return buffer.getvalue(), "application/pdf"
    if kind == "png":
        page.save(buffer, "PNG", dpi=(dpi, dpi))
        return buffer.getvalue(), "image/png"
    page.save(buffer, "JPEG", quality=quality or 70)  # a phone photo: no resolution recorded
    return buffer.getvalue(), "image/jpeg"
