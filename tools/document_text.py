# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Text of a document: the PDF's own text layer where it has one, Tesseract OCR elsewhere.

Plain Python, no ORM: the Tesseract gateway of `iap.account` calls :func:`document_to_text`
and hands the text to an extractor of :mod:`.digitization`. OCR is slow (seconds a page),
so it only runs on what has no text: the pages of a PDF without a text layer, and images.
"""

import time

from .document_readers import (
    DEFAULT_LANGUAGES,
    MIN_OCR_DPI,
    PSM_AUTO,
    PSM_SINGLE_BLOCK,
    _image_header,
    _image_to_text,
    _open_image,
    _open_pdf,
    _page_dpi,
    _pdf_page_count,
    _pdf_to_text,
    _prepare_image,
)
from .document_types import (
    DEFAULT_LIMITS,
    DocumentError,
    DocumentLimitError,
    DocumentLimits,
    DocumentText,
    EngineError,
    _meaningful_chars,
)

# The names of the readers and the types used by this module's callers, in one namespace.
__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_LANGUAGES",
    "DEFAULT_LIMITS",
    "IMAGE_MIMETYPES",
    "MIN_OCR_DPI",
    "PDF_MIMETYPES",
    "PSM_AUTO",
    "PSM_SINGLE_BLOCK",
    "SUPPORTED_MIMETYPES",
    "DocumentError",
    "DocumentLimitError",
    "DocumentLimits",
    "DocumentText",
    "EngineError",
    "_prepare_image",
    "check_document",
    "document_to_text",
    "is_supported",
]

PDF_MIMETYPES = {"application/pdf", "application/x-pdf"}
IMAGE_MIMETYPES = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/bmp", "image/gif", "image/webp"}
SUPPORTED_MIMETYPES = PDF_MIMETYPES | IMAGE_MIMETYPES
DEFAULT_DPI = 300


def is_supported(mimetype):
    return (mimetype or "").lower() in SUPPORTED_MIMETYPES


def document_to_text(
    data, mimetype, languages=DEFAULT_LANGUAGES, dpi=DEFAULT_DPI, limits=DEFAULT_LIMITS, psm=PSM_SINGLE_BLOCK
):
    """Read the text of a PDF or an image, OCR only where needed, within ``limits``.

    :param bytes data: the file content
    :param str mimetype: its mimetype (PDF or image)
    :param str languages: Tesseract languages, e.g. ``"eng+fra+deu"``
    :param int dpi: resolution at which scanned PDF pages are rasterised
    :param DocumentLimits limits: the caps; the time one is a deadline for the whole document
    :param int psm: Tesseract's page segmentation mode (:data:`PSM_SINGLE_BLOCK` for forms
        read label by label, :data:`PSM_AUTO` for free layouts in columns)
    :rtype: DocumentText
    :raise DocumentLimitError: when the document is over a cap
    :raise DocumentError: when the document is not readable at all
    :raise EngineError: when Tesseract or poppler fails
    """
    deadline = time.monotonic() + limits.max_seconds
    mimetype = (mimetype or "").lower()
    check_document(data, mimetype, limits, dpi=dpi)
    if mimetype in PDF_MIMETYPES:
        result = _pdf_to_text(data, languages, dpi, limits, deadline, psm)
    else:
        image = _open_image(data, limits)
        result = DocumentText(text=_image_to_text(image, languages, limits, deadline, psm=psm), pages=1, ocr_pages=1)
    if not _meaningful_chars(result.text):
        raise DocumentError("No text could be read from the document.")
    return result


def check_document(data, mimetype, limits=DEFAULT_LIMITS, dpi=DEFAULT_DPI):
    """Refuse a document over the size, page or pixel caps, before anything reads it.

    Cheap: the file size, the PDF's page tree and page boxes, the image's header; no
    content is decompressed or decoded. Called before any credit is held.

    :raise DocumentLimitError: when the document is over a cap
    :raise DocumentError: when it is empty, of an unsupported type, or cannot be opened
    """
    mimetype = (mimetype or "").lower()
    if not data:
        raise DocumentError("The document is empty.")
    if len(data) > limits.max_bytes:
        raise DocumentLimitError("bytes", len(data), limits.max_bytes)
    if mimetype in PDF_MIMETYPES:
        reader = _open_pdf(data)
        page_count = _pdf_page_count(reader)
        if page_count > limits.max_pages:
            raise DocumentLimitError("pages", page_count, limits.max_pages)
        for number, page in enumerate(reader.pages, start=1):
            _page_dpi(page, number, dpi, limits)
    elif mimetype in IMAGE_MIMETYPES:
        _image_header(data, limits)
    else:
        raise DocumentError(f"Unsupported document type {mimetype or 'unknown'}: send a PDF or an image.")
