# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Text of a document: the PDF's own text layer where it has one, Tesseract OCR elsewhere.

Plain Python, no ORM: the Tesseract gateway of `iap.account` calls :func:`document_to_text`
and hands the text to an extractor of :mod:`.digitization`. OCR is slow (seconds a page),
so it only runs on what has no text: the pages of a PDF without a text layer, and images.
"""

import io
import logging
import math
import os
import time
from dataclasses import dataclass

from . import document_image

_logger = logging.getLogger(__name__)

PDF_MIMETYPES = {"application/pdf", "application/x-pdf"}
IMAGE_MIMETYPES = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/bmp", "image/gif", "image/webp"}
SUPPORTED_MIMETYPES = PDF_MIMETYPES | IMAGE_MIMETYPES
DEFAULT_LANGUAGES = "eng+fra+deu"
DEFAULT_DPI = 300
# A page whose text layer has fewer letters or digits than this is treated as scanned.
MIN_TEXT_LAYER_CHARS = 30
# Tesseract's page segmentation mode 6 (one uniform block of text) keeps a label and the
# value printed on its right on the same line, which the bill extractor relies on.
PSM_SINGLE_BLOCK = 6
# Mode 3 (automatic layout analysis) reads columns one after the other and keeps large
# headings (a name at the top of a CV), which mode 6 drops; labels and values drift apart.
PSM_AUTO = 3
TESSERACT_ENGINE = "--oem 1"
A4_WIDTH_INCHES = 8.27
# Tesseract's OpenMP threads make one page 3x slower on a busy server (they fight the
# workers for the cores); one thread per page unless the administrator says otherwise.
OMP_THREAD_LIMIT = "1"
# Below this resolution Tesseract reads nothing useful: a page that only fits the pixel
# cap at a lower one is refused rather than read for nothing.
MIN_OCR_DPI = 150
POINTS_PER_INCH = 72


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


def _meaningful_chars(text):
    return sum(1 for char in text or "" if char.isalnum())


def _open_pdf(data):
    import pypdf
    from pypdf.errors import LimitReachedError

    try:
        return pypdf.PdfReader(io.BytesIO(data))
    except LimitReachedError as error:
        raise DocumentLimitError("stream") from error
    except Exception as error:  # pypdf raises many kinds of errors on broken files
        raise DocumentError(f"The PDF cannot be opened: {error}") from error


def _pdf_page_count(reader):
    from pypdf.errors import LimitReachedError

    try:
        page_count = len(reader.pages)
    except LimitReachedError as error:
        raise DocumentLimitError("stream") from error
    except Exception as error:
        raise DocumentError(f"The PDF cannot be opened: {error}") from error
    if not page_count:
        raise DocumentError("The PDF has no pages.")
    return page_count


def _page_dpi(page, number, dpi, limits):
    """The resolution to rasterise ``page`` at: ``dpi``, or less so that it fits the pixel cap.

    :raise DocumentLimitError: when the page only fits the cap below :data:`MIN_OCR_DPI`
    """
    try:
        box = page.mediabox
        user_unit = float(page.user_unit or 1)
        width = abs(float(box.width)) * user_unit / POINTS_PER_INCH
        height = abs(float(box.height)) * user_unit / POINTS_PER_INCH
    except Exception as error:
        raise DocumentError(f"Page {number} of the PDF has no readable size: {error}") from error
    area = width * height  # square inches
    if area <= 0:
        raise DocumentError(f"Page {number} of the PDF has no size.")
    pixels = area * dpi * dpi
    if pixels <= limits.max_pixels:
        return dpi
    fitting = int(math.sqrt(limits.max_pixels / area))
    if fitting < MIN_OCR_DPI:
        raise DocumentLimitError("pixels", int(pixels), limits.max_pixels, page=number)
    return fitting


def _remaining(deadline, limits):
    """Seconds left before the document's deadline.

    :raise DocumentLimitError: when none are left
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DocumentLimitError("seconds", None, limits.max_seconds)
    return remaining


def _pdf_to_text(data, languages, dpi, limits, deadline, psm=PSM_SINGLE_BLOCK):
    from pypdf.errors import LimitReachedError

    reader = _open_pdf(data)
    page_count = _pdf_page_count(reader)
    if page_count > limits.max_pages:
        raise DocumentLimitError("pages", page_count, limits.max_pages)
    texts, ocr_pages = [], 0
    for number, page in enumerate(reader.pages, start=1):
        _remaining(deadline, limits)
        try:
            text = page.extract_text(extraction_mode="layout") or ""
        except LimitReachedError as error:
            # A decompression bomb: poppler would expand it too, so no OCR fallback.
            raise DocumentLimitError("stream", page=number) from error
        except Exception:
            _logger.info("No usable text layer on page %s; using OCR", number, exc_info=True)
            text = ""
        if _meaningful_chars(text) < MIN_TEXT_LAYER_CHARS:
            page_dpi = _page_dpi(page, number, dpi, limits)
            image = _rasterise_pdf_page(data, number, page_dpi, _remaining(deadline, limits), limits)
            text = _image_to_text(image, languages, limits, deadline, dpi=page_dpi, psm=psm)
            ocr_pages += 1
        texts.append(text)
    return DocumentText(text="\n\f\n".join(texts), pages=page_count, ocr_pages=ocr_pages)


def _rasterise_pdf_page(data, number, dpi, timeout, limits):
    import pdf2image
    from pdf2image.exceptions import (
        PDFInfoNotInstalledError,
        PDFPageCountError,
        PDFPopplerTimeoutError,
        PDFSyntaxError,
    )

    try:
        images = pdf2image.convert_from_bytes(
            data, dpi=dpi, first_page=number, last_page=number, grayscale=True, timeout=timeout
        )
    except PDFPopplerTimeoutError as error:
        raise DocumentLimitError("seconds", None, limits.max_seconds, page=number) from error
    except PDFInfoNotInstalledError as error:
        raise EngineError("poppler-utils (pdftoppm) is not installed.") from error
    except (PDFPageCountError, PDFSyntaxError) as error:
        raise DocumentError(f"The PDF cannot be rasterised: {error}") from error
    except Exception as error:
        raise EngineError(f"Rasterising page {number} failed: {error}") from error
    if not images:
        raise DocumentError(f"Page {number} of the PDF is empty.")
    image = images[0]
    if image.width * image.height > limits.max_pixels * 1.01:  # poppler rounds up: allow its pixel
        raise DocumentLimitError("pixels", image.width * image.height, limits.max_pixels, page=number)
    return image


def _image_header(data, limits):
    """Open an image lazily (header only) and refuse it when it has too many pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:  # Pillow's own cap, far above ours
        raise DocumentLimitError("pixels", None, limits.max_pixels) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DocumentError(f"The image cannot be opened: {error}") from error
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        raise DocumentLimitError("pixels", pixels, limits.max_pixels)
    return image


def _open_image(data, limits=DEFAULT_LIMITS):
    from PIL import ImageOps

    image = _image_header(data, limits)  # checked before decoding
    try:
        image.load()
    except (OSError, ValueError) as error:
        raise DocumentError(f"The image cannot be opened: {error}") from error
    return ImageOps.exif_transpose(image)


def _prepare_image(image, dpi=None, max_pixels=DEFAULT_LIMITS.max_pixels):
    """Straighten, even out, scale and threshold the image for Tesseract (see
    :mod:`.document_image`): the page of a photo is found and flattened, the text enlarged
    to the size Tesseract reads best, deskewed and turned black on white.

    The enlarging never goes past ``max_pixels``: a crafted "small" image of a huge
    size must not become a huge one in memory.

    :return: (image, dpi) — the dpi Tesseract should assume
    """
    image = image.convert("L")
    dpi = dpi or _image_dpi(image)
    return document_image.prepare_for_ocr(image, max_pixels, dpi=dpi)


def _image_dpi(image):
    info_dpi = image.info.get("dpi")
    if info_dpi and info_dpi[0] and info_dpi[0] >= 72:
        return int(info_dpi[0])
    # No (or a placeholder) resolution: assume the image is a whole A4 page wide.
    return max(int(image.width / A4_WIDTH_INCHES), 50)


def _image_to_text(image, languages, limits, deadline, dpi=None, psm=PSM_SINGLE_BLOCK):
    import pytesseract

    image, dpi = _prepare_image(image, dpi, limits.max_pixels)
    timeout = _remaining(deadline, limits)
    os.environ.setdefault("OMP_THREAD_LIMIT", OMP_THREAD_LIMIT)  # inherited by the tesseract process
    try:
        return pytesseract.image_to_string(
            image,
            lang=languages or DEFAULT_LANGUAGES,
            config=f"{TESSERACT_ENGINE} --psm {int(psm)} --dpi {dpi}",
            timeout=timeout,
        )
    except pytesseract.TesseractNotFoundError as error:
        raise EngineError("Tesseract is not installed (apt-get install tesseract-ocr).") from error
    except pytesseract.TesseractError as error:  # a RuntimeError too: catch it first
        raise EngineError(f"Tesseract failed: {error.message or error}") from error
    except RuntimeError as error:  # pytesseract's time-out: it killed the process
        raise DocumentLimitError("seconds", None, limits.max_seconds) from error
