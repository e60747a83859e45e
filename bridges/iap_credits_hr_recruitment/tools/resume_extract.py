# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Contact fields of a résumé (CV) from its text (OCR or PDF text layer), and its skills.

Plain Python, no ORM. A CV has no fixed layout: a name at the top (or after a "Name:"
label), contact details anywhere, often in a side column that the PDF text layer and OCR
put on the same lines as the main column. So each line is first cut into its columns (runs
of three spaces or more, or separators like ``|``), and the fields are found per segment:

* e-mail: the address pattern, with the spaces OCR puts around ``@`` and dots taken out;
* phone: ``phonenumbers``' matcher, in the region the CV's language suggests (or the one
  given), returned in E.164; a number that is not valid for its country is not a phone;
* LinkedIn: a ``linkedin.com/in/<name>`` address, returned as ``https://www.linkedin.com/in/<name>``;
* name: a "Name:" label, else the first segment at the top that reads like a person's name
  (two to four capitalised words, or two to four Chinese characters), preferring one whose
  words are in the e-mail address;
* skills: :func:`find_skills` matches the names of known skills (the caller's records) as
  whole words in the text.

Languages: English, French, German and Simplified Chinese.

The fields are read in `resume_contact_fields`, with the words and tables of
`resume_vocabulary`; this module reads a whole CV, finds its skills, and keeps the names of
both in one namespace for the callers (and their tests).
"""

import re
import unicodedata

from .resume_contact_fields import (
    find_email,
    find_linkedin,
    find_name,
    find_phone,
    normalize,
    segments,
)
from .resume_vocabulary import (
    COMMON_TLDS,
    HAN_RE,
    JOB_TITLE_ZH_ENDINGS,
    LANGUAGE_REGIONS,
    LANGUAGE_WORDS,
    LANGUAGES,
    NAME_LABELS,
    NAME_SEARCH_LINES,
    NAME_SEARCH_LINES_EMAIL,
    NOT_NAME_WORDS,
    NOT_NAME_ZH,
)

__all__ = [
    "COMMON_TLDS",
    "HAN_RE",
    "JOB_TITLE_ZH_ENDINGS",
    "LANGUAGES",
    "LANGUAGE_REGIONS",
    "LANGUAGE_WORDS",
    "NAME_LABELS",
    "NAME_SEARCH_LINES",
    "NAME_SEARCH_LINES_EMAIL",
    "NOT_NAME_WORDS",
    "NOT_NAME_ZH",
    "extract_resume",
    "find_email",
    "find_linkedin",
    "find_name",
    "find_phone",
    "find_skills",
    "guess_language",
    "normalize",
    "segments",
]

# Chinese characters and their full-width punctuation, between which OCR puts spaces.
_HAN_OR_PUNCTUATION = r"[\u4e00-\u9fff\uff0c\u3002\uff1a\uff1b\u3001\uff08\uff09]"
_HAN_SPACES_RE = re.compile(rf"(?<={_HAN_OR_PUNCTUATION})[ \t]+(?={_HAN_OR_PUNCTUATION})")


def extract_resume(text, region=None):
    """Read the contact fields of a résumé from its text.

    :param str text: the document's text
    :param str region: ISO country code to read national phone numbers in first (the
        company's); then the country of the CV's language
    :return: dict with ``name``, ``email``, ``phone`` (E.164), ``linkedin`` (URL) and
        ``language`` (``en``, ``fr``, ``de`` or ``zh``); a field that was not found is None
    """
    text = _han_joined(unicodedata.normalize("NFC", text or ""))
    lines = [line for line in text.splitlines() if line.strip()]
    language = guess_language(text)
    email = find_email(text)
    return {
        "name": find_name(lines, email),
        "email": email,
        "phone": find_phone(lines, region, LANGUAGE_REGIONS[language]),
        "linkedin": find_linkedin(text),
        "language": language,
    }


def guess_language(text):
    """``zh`` when the text is mostly Chinese, else the language with most CV headings."""
    text = text or ""
    han = len(HAN_RE.findall(text))
    if han and han * 4 >= sum(1 for char in text if char.isalpha()):
        return "zh"
    words = re.findall(r"[a-z]+", normalize(text))
    counts = {code: sum(1 for word in words if word in keywords) for code, keywords in LANGUAGE_WORDS.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] else "en"


def _han_joined(text):
    """The text without the spaces OCR puts between Chinese characters ("产品 经 理")."""
    return _HAN_SPACES_RE.sub("", text)


# ------------------------------------------------------------
# SKILLS
# ------------------------------------------------------------


def find_skills(text, skills):
    """The skills whose name is printed in the text, as a whole word.

    :param str text: the document's text
    :param dict skills: ``{key: [name, ...]}``, each skill with its names (in every language)
    :return: the keys of the skills found, in the order of ``skills``

    A name of three characters or fewer ("R", "Go", "C#", "PHP") must be printed as is, in
    its case, and stand alone (not "R&D", not "go-live", not the initial of "John R. Smith");
    a longer one is matched without
    regard to case and accents. A Chinese name is matched anywhere (no spaces between words).
    """
    text = unicodedata.normalize("NFC", text or "")
    haystack = " ".join(text.split())
    folded = normalize(haystack)
    compact = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", haystack)
    found = []
    for key, names in skills.items():
        for name in names:
            if name and _skill_printed(name.strip(), haystack, folded, compact):
                found.append(key)
                break
    return found


def _skill_printed(name, haystack, folded, compact):
    if not name:
        return False
    if HAN_RE.search(name):
        return re.sub(r"\s", "", name) in compact
    if len(name) <= 3:
        pattern = rf"(?<![\w+#&/.\-]){re.escape(name)}(?![\w+#&.\-])"
        return bool(re.search(pattern, haystack))
    pattern = rf"(?<![\w+#]){re.escape(' '.join(normalize(name).split()))}(?![\w+#])"
    return bool(re.search(pattern, folded))
