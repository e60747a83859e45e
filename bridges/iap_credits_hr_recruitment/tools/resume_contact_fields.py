# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The contact fields of a résumé (see `resume_extract`): e-mail, LinkedIn, phone and
name, each found in the lines of the CV's text, cut into their columns.

Plain Python, no ORM.
"""

import re
import unicodedata

import phonenumbers

from .resume_vocabulary import (
    COMMON_TLDS,
    HAN_RE,
    JOB_TITLE_ZH_ENDINGS,
    NAME_LABELS,
    NAME_SEARCH_LINES,
    NAME_SEARCH_LINES_EMAIL,
    NOT_NAME_WORDS,
    NOT_NAME_ZH,
)

_NAME_LABEL_RE = re.compile(rf"^\s*(?:{'|'.join(NAME_LABELS)})\s*[:\uff1a]\s*(?P<value>.+)$", re.IGNORECASE)
_NAME_LABEL_ZH_RE = re.compile(r"姓\s*名\s*[:\uff1a]?\s*(?P<value>[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,3})")
# A word with an "@" in it: an address, whose letters OCR may have read with accents.
_ADDRESS_TOKEN_RE = re.compile(r"[^\s@]+@[^\s@]+")
# A list item ("- Scrum Master" in a column of skills) is never the candidate's name.
_BULLET_RE = re.compile(r"^\s*[-*\u2022\u00b7\u2013\u25aa\u25cf\u25e6]\s")
# Columns: three spaces or more (layout-mode text layers, OCR of wide gaps), or the
# separators CVs put between contact details on one line.
_SEGMENT_RE = re.compile(r"\s{3,}|\s[|•·◦▪●]\s|\t")
_NAME_WORD_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|['\u2019\-.])*$")
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24})(?![\w-])"
)
# "linkedin.com/in/<name>"; OCR may drop the thin "i" of "/in/" or read it as "l" or "1".
_LINKEDIN_RE = re.compile(
    r"linked\s?in\s?\.\s?com\s?/\s?[il1]?n\s?/\s?([A-Za-z0-9\u00c0-\u024f%_-]{2,100})(?:/|\b)", re.IGNORECASE
)


def normalize(text):
    """Lower case without accents, keeping the length (one character for one)."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[:1].lower()[:1]
        out.append(base if base else char)
    return "".join(out)


def segments(line):
    """The columns of one line of text."""
    return [part.strip() for part in _SEGMENT_RE.split(line) if part.strip()]


# ------------------------------------------------------------
# E-MAIL, LINKEDIN
# ------------------------------------------------------------


def _ocr_joined(text):
    """The text with OCR's slips in addresses mended: spaces around ``@`` and dots, a ``|``
    read for an ``l`` before a dot, the dot of a common top-level domain read as a space."""
    text = text.replace("\u0131", "i")  # a dotless i: only for finding the address
    text = re.sub(r"[ \t]*[@\uff20][ \t]*", "@", text)
    text = re.sub(r"(?<=[A-Za-z0-9|])[ \t]?\.[ \t]?(?=[A-Za-z]{2,}\b)", ".", text)
    text = re.sub(r"(?<![\w.])\|(?=\.?[A-Za-z0-9._%+-]*@)", "l", text)
    text = _ADDRESS_TOKEN_RE.sub(lambda match: _ascii(match.group(0)), text)
    return re.sub(rf"(@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)[ \t](?=(?:{COMMON_TLDS})(?![\w.]))", r"\1.", text)


def _ascii(token):
    """An address as OCR may spell it with accented look-alikes ("beïspiel"), in plain
    ASCII: addresses on CVs are."""
    return unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode()


def find_email(text):
    """The first e-mail address of the text, in lower case, or None."""
    for match in _EMAIL_RE.finditer(_ocr_joined(text or "")):
        local, domain = match.groups()
        if ".." in local or local.endswith(".") or local.startswith("."):
            continue
        return f"{local}@{domain}".lower()
    return None


def find_linkedin(text):
    """The LinkedIn profile address printed on the CV, as ``https://www.linkedin.com/in/<name>``."""
    match = _LINKEDIN_RE.search(text or "")
    if not match:
        return None
    return f"https://www.linkedin.com/in/{match.group(1).strip('-_')}"


# ------------------------------------------------------------
# PHONE
# ------------------------------------------------------------


def find_phone(lines, *regions):
    """The first valid phone number of the CV, in E.164, or None.

    A number is looked for in each column on its own (a date range of the next column is
    not a part of it), and must be valid for its country: a postcode or a year is never
    taken for a phone. A national number (without +) is read in the first of ``regions``
    where it is valid: a French CV's "06 12 34 56 78" sent to a British company is French.

    :param regions: ISO country codes, in order of preference
    """
    regions = list(dict.fromkeys(code.upper() for code in regions if code)) or ["ZZ"]
    for line in lines:
        for segment in segments(line):
            if sum(char.isdigit() for char in segment) < 6:
                continue
            candidate = _phone_text(segment)
            for region in regions:
                for match in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.VALID):
                    return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _phone_text(segment):
    """A segment as phone numbers are written: OCR's look-alikes of digits and dashes fixed
    where they sit between digits, and the "(0)" of "+49 (0)151" dropped."""
    segment = re.sub(r"[\u2013\u2014\u2010]", "-", segment)
    segment = re.sub(r"(?<=[\d ])[Oo](?=[\d ])", "0", segment)
    return re.sub(r"(\+\d{1,3})\s*\(0\)\s*", r"\1 ", segment)


# ------------------------------------------------------------
# NAME
# ------------------------------------------------------------


def find_name(lines, email=None):
    """The candidate's name: a "Name:" label, else a name-like segment at the top of the CV.

    Among the segments at the top that read like a name, the first one whose words are in
    the e-mail address wins (the line above the name may be a heading), else the first one.
    """
    for line in lines:
        match = _NAME_LABEL_ZH_RE.search(line)
        if match:
            return re.sub(r"\s", "", match.group("value"))
        for segment in segments(line):
            match = _NAME_LABEL_RE.match(normalize(segment))
            if match:
                value = segment[match.start("value") :].strip()
                name = _as_name(value)
                if name:
                    return name
    candidates = []
    for index, line in enumerate(lines[:NAME_SEARCH_LINES_EMAIL]):
        for segment in segments(line):
            name = _as_name(segment)
            if name:
                candidates.append((index, name))
    local = normalize((email or "").split("@")[0])
    for _index, name in candidates:
        words = [word for word in re.split(r"[\s'\u2019\-.]+", normalize(name)) if len(word) >= 3]
        if local and any(word in local or _transliterated(word) in local for word in words):
            return _umlauts_from_email(name, local)
    top = [name for index, name in candidates if index < NAME_SEARCH_LINES]
    return top[0] if top else None


def _transliterated(word):
    """``word`` as German writes it without umlauts ("müller" → "mueller")."""
    return word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")


def _umlauts_from_email(name, local):
    """Put back the umlauts OCR dropped from a German name, when the e-mail address spells
    them out: "Anna Muller" with anna.mueller@… is "Anna Müller"."""
    words = []
    for printed in name.split(" "):
        word, lower = printed, printed.lower()
        if lower not in local and len(lower) >= 3:
            for plain, umlaut in (("u", "ü"), ("o", "ö"), ("a", "ä")):
                for position in [i for i, char in enumerate(lower) if char == plain]:
                    spelled = f"{lower[:position]}{plain}e{lower[position + 1 :]}"
                    if spelled in local:
                        mended = umlaut.upper() if word[position].isupper() else umlaut
                        word = f"{word[:position]}{mended}{word[position + 1 :]}"
                        break
        words.append(word)
    return " ".join(words)


def _as_name(segment):  # noqa: PLR0911 (one refusal per rule)
    """``segment`` as a person's name, or None when it does not read like one."""
    if _BULLET_RE.match(segment):
        return None
    segment = segment.strip(" ,;:_|/\\-\u2013•*·'\"")
    compact = re.sub(r"\s", "", segment)
    if HAN_RE.search(compact):
        if (
            2 <= len(compact) <= 4
            and all(HAN_RE.match(char) for char in compact)
            and compact not in NOT_NAME_ZH
            and not compact.endswith(JOB_TITLE_ZH_ENDINGS)
        ):
            return compact
        return None
    words = segment.split()
    if not 2 <= len(words) <= 4:
        return None
    for word in words:
        if not _NAME_WORD_RE.match(word) or not word[0].isupper():
            return None
        if normalize(word.strip(".-'\u2019")) in NOT_NAME_WORDS:
            return None
    if not any(len(word.strip(".")) >= 2 for word in words):
        return None
    if segment.isupper():  # "JANE DOE" as a heading: "Jane Doe"
        segment = " ".join(_title(word) for word in words)
    return " ".join(segment.split())


def _title(word):
    return re.sub(r"[^\W\d_]+", lambda part: part.group(0).capitalize(), word.lower())
