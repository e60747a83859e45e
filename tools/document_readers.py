# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The readers of `document_text`: a PDF's text layer, its pages rasterised by poppler,
and Tesseract's OCR of images (prepared by `document_image`). Plain Python, no ORM."""

import io
import logging
import math
import os

from . import document_image
from .document_types import (
    DEFAULT_LIMITS,
    DocumentError,
    DocumentLimitError,
    DocumentText,
    EngineError,
    _meaningful_chars,
    _remaining,
)

_logger = logging.getLogger(__name__)

DEFAULT_LANGUAGES = "eng+fra+deu"
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
