# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Text of a document: the PDF's own text layer where it has one, Tesseract OCR elsewhere.

Plain Python, no ORM: the Tesseract gateway of `iap.account` calls :func:`document_to_text`
and hands the text to an extractor of :mod:`.digitization`. OCR is slow (seconds a page),
so it only runs on what has no text: the pages of a PDF without a text layer, and images.
"""

import io
import logging
import os
from dataclasses import dataclass

_logger = logging.getLogger(__name__)

PDF_MIMETYPES = {"application/pdf", "application/x-pdf"}
IMAGE_MIMETYPES = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/bmp", "image/gif", "image/webp"}
SUPPORTED_MIMETYPES = PDF_MIMETYPES | IMAGE_MIMETYPES
DEFAULT_LANGUAGES = "eng+fra+deu"
DEFAULT_DPI = 300
# A page whose text layer has fewer letters or digits than this is treated as scanned.
MIN_TEXT_LAYER_CHARS = 30
# Tesseract's page segmentation mode 6 (one uniform block of text) keeps a label and the
# value printed on its right on the same line, which the extractors rely on.
TESSERACT_CONFIG = "--oem 1 --psm 6"
A4_WIDTH_INCHES = 8.27
# Tesseract's OpenMP threads make one page 3x slower on a busy server (they fight the
# workers for the cores); one thread per page unless the administrator says otherwise.
OMP_THREAD_LIMIT = "1"


class DocumentError(Exception):
    """The document cannot be read: not a PDF or image, corrupt, or without any text.

    Never charged: the work was refused before (or by) the engine.
    """


class EngineError(Exception):
    """The OCR engine itself failed (missing binary, time-out, crash). Never charged."""


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


def is_supported(mimetype):
    return (mimetype or "").lower() in SUPPORTED_MIMETYPES


def document_to_text(data, mimetype, languages=DEFAULT_LANGUAGES, dpi=DEFAULT_DPI, timeout=120, max_pages=10):
    """Read the text of a PDF or an image, OCR only where needed.

    :param bytes data: the file content
    :param str mimetype: its mimetype (PDF or image)
    :param str languages: Tesseract languages, e.g. ``"eng+fra+deu"``
    :param int dpi: resolution at which scanned PDF pages are rasterised
    :param int timeout: seconds allowed to Tesseract for one page
    :param int max_pages: pages read at most (bills are short; this bounds the work)
    :rtype: DocumentText
    :raise DocumentError: when the document is not readable at all
    :raise EngineError: when Tesseract or poppler fails
    """
    mimetype = (mimetype or "").lower()
    if not data:
        raise DocumentError("The document is empty.")
    if mimetype in PDF_MIMETYPES:
        result = _pdf_to_text(data, languages, dpi, timeout, max_pages)
    elif mimetype in IMAGE_MIMETYPES:
        result = DocumentText(text=_image_to_text(_open_image(data), languages, timeout), pages=1, ocr_pages=1)
    else:
        raise DocumentError(f"Unsupported document type {mimetype or 'unknown'}: send a PDF or an image.")
    if not _meaningful_chars(result.text):
        raise DocumentError("No text could be read from the document.")
    return result


def _meaningful_chars(text):
    return sum(1 for char in text or "" if char.isalnum())


def _pdf_to_text(data, languages, dpi, timeout, max_pages):
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = reader.pages[:max_pages]
        page_count = len(pages)
    except Exception as error:  # pypdf raises many kinds of errors on broken files
        raise DocumentError(f"The PDF cannot be opened: {error}") from error
    if not page_count:
        raise DocumentError("The PDF has no pages.")
    texts, ocr_pages = [], 0
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text(extraction_mode="layout") or ""
        except Exception:
            _logger.info("No usable text layer on page %s; using OCR", number, exc_info=True)
            text = ""
        if _meaningful_chars(text) < MIN_TEXT_LAYER_CHARS:
            text = _image_to_text(_rasterise_pdf_page(data, number, dpi), languages, timeout, dpi=dpi)
            ocr_pages += 1
        texts.append(text)
    return DocumentText(text="\n\f\n".join(texts), pages=page_count, ocr_pages=ocr_pages)


def _rasterise_pdf_page(data, number, dpi):
    import pdf2image
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    try:
        images = pdf2image.convert_from_bytes(data, dpi=dpi, first_page=number, last_page=number, grayscale=True)
    except PDFInfoNotInstalledError as error:
        raise EngineError("poppler-utils (pdftoppm) is not installed.") from error
    except (PDFPageCountError, PDFSyntaxError) as error:
        raise DocumentError(f"The PDF cannot be rasterised: {error}") from error
    except Exception as error:
        raise EngineError(f"Rasterising page {number} failed: {error}") from error
    if not images:
        raise DocumentError(f"Page {number} of the PDF is empty.")
    return images[0]


def _open_image(data):
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise DocumentError(f"The image cannot be opened: {error}") from error
    return ImageOps.exif_transpose(image)


def _prepare_image(image, dpi=None):
    """Grayscale, despeckle, and upscale photos that are too small for Tesseract.

    :return: (image, dpi) — the dpi Tesseract should assume
    """
    from PIL import ImageFilter

    image = image.convert("L")
    dpi = dpi or _image_dpi(image)
    if dpi < 200:
        # Tesseract reads best around 300 dpi: enlarge small photos and screenshots.
        factor = min(300 / dpi, 4)
        image = image.resize((int(image.width * factor), int(image.height * factor)))
        dpi = int(dpi * factor)
    image = image.filter(ImageFilter.MedianFilter(3))
    return image, dpi


def _image_dpi(image):
    info_dpi = image.info.get("dpi")
    if info_dpi and info_dpi[0] and info_dpi[0] >= 72:
        return int(info_dpi[0])
    # No (or a placeholder) resolution: assume the image is a whole A4 page wide.
    return max(int(image.width / A4_WIDTH_INCHES), 50)


def _image_to_text(image, languages, timeout, dpi=None):
    import pytesseract

    image, dpi = _prepare_image(image, dpi)
    os.environ.setdefault("OMP_THREAD_LIMIT", OMP_THREAD_LIMIT)  # inherited by the tesseract process
    try:
        return pytesseract.image_to_string(
            image, lang=languages or DEFAULT_LANGUAGES, config=f"{TESSERACT_CONFIG} --dpi {dpi}", timeout=timeout
        )
    except pytesseract.TesseractNotFoundError as error:
        raise EngineError("Tesseract is not installed (apt-get install tesseract-ocr).") from error
    except pytesseract.TesseractError as error:  # a RuntimeError too: catch it first
        raise EngineError(f"Tesseract failed: {error.message or error}") from error
    except RuntimeError as error:  # pytesseract's time-out
        raise EngineError(f"Tesseract did not finish within {timeout} seconds.") from error
