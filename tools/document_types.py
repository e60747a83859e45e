# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""What reading a document may end with: its errors, its limits (and the deadline they set),
and the text read. Plain Python, the leaf of `document_text` and `document_readers`."""

import time
from dataclasses import dataclass


class DocumentError(Exception):
    """The document cannot be read: not a PDF or image, corrupt, or without any text.

    Never charged: the work was refused before (or by) the engine.
    """


class DocumentLimitError(DocumentError):
    """The document is over one of the :class:`DocumentLimits`: refused, never charged.

    Documents arrive by email from anyone: a file that is too big, too long, too many
    pixels or too slow to read would otherwise hold a worker (or its memory) for nothing.

    :param str limit: ``"bytes"``, ``"pages"``, ``"pixels"``, ``"seconds"`` or ``"stream"``
        (compressed data that expands beyond what the PDF library accepts)
    :param value: what the document has (bytes, pages, pixels, seconds)
    :param maximum: what the limit allows
    :param int page: the page concerned, when it is one page
    """

    def __init__(self, limit, value=None, maximum=None, page=None):
        self.limit, self.value, self.maximum, self.page = limit, value, maximum, page
        where = f" (page {page})" if page else ""
        super().__init__(f"The document is over the {limit} limit{where}: {value} > {maximum}.")


class EngineError(Exception):
    """The OCR engine itself failed (missing binary, crash). Never charged."""


@dataclass(frozen=True)
class DocumentLimits:
    """Hard caps on the reading of one document (the administrator sets them).

    :param int max_bytes: size of the file
    :param int max_pages: pages of a PDF (a longer one is refused, not cut)
    :param int max_pixels: pixels of an image or of a rasterised page, also after
        the upscaling of small photos
    :param float max_seconds: the whole reading, text layer, rasterising and OCR
    """

    max_bytes: int = 20_000_000
    max_pages: int = 10
    max_pixels: int = 25_000_000
    max_seconds: float = 180


DEFAULT_LIMITS = DocumentLimits()


@dataclass
class DocumentText:
    """The text of a document and how it was obtained."""

    text: str
    pages: int
    ocr_pages: int

    @property
    def method(self):
        if not self.ocr_pages:
            return "text"
        return "ocr" if self.ocr_pages == self.pages else "mixed"


def _meaningful_chars(text):
    return sum(1 for char in text or "" if char.isalnum())


def _remaining(deadline, limits):
    """Seconds left before the document's deadline.

    :raise DocumentLimitError: when none are left
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DocumentLimitError("seconds", None, limits.max_seconds)
    return remaining
