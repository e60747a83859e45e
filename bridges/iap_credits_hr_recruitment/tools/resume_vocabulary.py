# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The words and tables the reading of a résumé (see `resume_extract`) relies on: its
languages, the headings that tell them apart, the words and labels around a candidate's
name, the top-level domains OCR mangles.

Plain Python, no ORM. The word lists are in lower case without accents, as they are
matched against text through `resume_contact_fields.normalize`; the Chinese ones as printed.
"""

import re

LANGUAGES = ("en", "fr", "de", "zh")
# The region a national number (without +) is read in, by language of the CV, when the
# caller gives none (the company's country).
LANGUAGE_REGIONS = {"en": "GB", "fr": "FR", "de": "DE", "zh": "CN"}
LANGUAGE_WORDS = {
    "en": ("experience", "education", "skills", "languages", "work", "summary", "profile", "references"),
    "fr": ("experience", "formation", "competences", "langues", "professionnelle", "loisirs", "profil"),
    "de": ("berufserfahrung", "ausbildung", "kenntnisse", "sprachen", "lebenslauf", "erfahrung", "studium"),
}
# How far down the document the name is looked for, in lines with text: at the top, or
# further down when its words are those of the e-mail address (OCR reads a side column
# before the main one).
NAME_SEARCH_LINES = 12
NAME_SEARCH_LINES_EMAIL = 40
# Words that make a line a heading or a job title rather than a person's name (lower case,
# without accents).
_NOT_NAME_WORDS = """
    curriculum vitae resume cv lebenslauf profil profile contact contacts kontakt coordonnees summary about
    experience experiences work education formation ausbildung skills competences kenntnisse languages langues
    sprachen references interests hobbies loisirs projects projets personal information informations personnelles
    personliche daten angaben objective objectif career
    engineer developer manager consultant designer analyst scientist architect director officer assistant
    specialist student intern administrator accountant lead senior junior head chief marketing sales software
    data project product ingenieur ingenieure developpeur developpeuse chef responsable charge chargee commercial
    comptable etudiant etudiante stagiaire directeur directrice entwickler entwicklerin ingenieurin berater
    beraterin leiter leiterin kaufmann kauffrau projektleiter softwareentwickler
    street road avenue rue strasse str allee platz chemin boulevard
    """
NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS.split())
NOT_NAME_ZH = frozenset(
    (
        "个人简历", "简历", "求职简历", "联系方式", "基本信息", "个人信息", "工作经验", "工作经历", "教育背景",
        "教育经历", "专业技能", "技能", "语言", "自我评价", "项目经验", "求职意向", "电话", "手机", "邮箱", "地址",
    )
)  # fmt: skip
# The endings of Chinese job titles ("产品经理", "软件工程师"): such a line is not a name.
JOB_TITLE_ZH_ENDINGS = (
    "经理",
    "工程师",
    "助理",
    "总监",
    "主管",
    "专员",
    "设计师",
    "顾问",
    "经历",
    "技能",
    "背景",
    "信息",
)
NAME_LABELS = [
    r"(?:full\s*)?name",
    r"nom(?:\s*(?:et|&)\s*prenom)?",
    r"prenom\s*(?:et|&)\s*nom",
    r"(?:vor-?\s*(?:und|&)\s*)?(?:nach)?name",
]
# Top-level domains whose dot OCR may read as a space ("jane@example fr"): only these are
# mended, so that "write to jane@example and ..." never becomes an address.
COMMON_TLDS = "com|org|net|io|fr|de|ch|be|uk|ie|in|cn|nl|lu|at|eu"
# A Chinese character (CJK Unified Ideographs): what makes a text, a name or a skill Chinese.
HAN_RE = re.compile(r"[\u4e00-\u9fff]")
