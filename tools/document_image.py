# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Clean up a scan or a phone photo of a document before Tesseract reads it.

Plain Python (numpy and OpenCV), no ORM: :func:`prepare_for_ocr` is called by
:mod:`.document_text` on every image it reads (photos, and PDF pages without a text layer).

A phone photo of a receipt is not a scan: the paper lies on a desk (a darker background
around it), seen at an angle (perspective), skewed, under a shadow, and thermal paper
prints a faded grey. Tesseract expects a flat, level page of black text on white, with
characters of 20 to 40 pixels. So, in order:

1. **find the page** — the largest bright four-sided shape of the photo, when there is a
   background around it — and straighten it to a rectangle (perspective transform); the
   desk is cropped away;
2. **scale** the text to the size Tesseract reads best, measured on the characters
   themselves (a photo has no meaningful resolution), within the pixel cap;
3. **even the lighting out**: divide by the background estimated by a large morphological
   closing, which removes shadows and light fall-off and restores the contrast of faded
   print;
4. **deskew** by the angle whose horizontal projection of the ink has the sharpest text
   lines (lines of text at any angle within ±6°);
5. **threshold** the background to white (Otsu's level, on the evened-out image), and
   crop to the ink.

Each step is skipped when it does not apply (a flat scan has no desk, a level page no
skew), so a clean scan comes out nearly as it went in.
"""

import math

# Median height, in pixels, of the characters Tesseract is given (it reads best at 20-40).
TARGET_CHAR_HEIGHT = 30
# Characters smaller than this are enlarged to TARGET_CHAR_HEIGHT; larger than MAX are reduced.
MIN_CHAR_HEIGHT = 22
MAX_CHAR_HEIGHT = 64
MAX_UPSCALE = 4.0
# The page must cover this share of the photo, and leave this much of it as background.
MIN_PAGE_AREA = 0.15
MAX_PAGE_AREA = 0.96
MAX_SKEW_DEGREES = 6.0


def prepare_for_ocr(image, max_pixels, dpi=300):
    """The image, straightened and thresholded for Tesseract.

    :param image: a Pillow image (any mode)
    :param int max_pixels: never make the image larger than this
    :param int dpi: the resolution the image claims: used to enlarge it only when no
        characters can be measured
    :return: ``(image, dpi)`` — a Pillow image in mode ``L`` (black text on white), and
        the resolution Tesseract should assume for it
    """
    import cv2
    import numpy as np
    from PIL import Image

    cv2.setNumThreads(1)  # the server's cores belong to its workers
    gray = np.asarray(image.convert("L"))
    quad = find_page(gray)
    if quad is not None:
        gray = _warp(gray, quad)
    height = character_height(gray)
    scale = 1.0
    if height and (height < MIN_CHAR_HEIGHT or height > MAX_CHAR_HEIGHT):
        scale = min(TARGET_CHAR_HEIGHT / height, MAX_UPSCALE)
    elif not height and dpi < 200:  # nothing measurable: Tesseract reads best around 300 dpi
        scale = min(300 / dpi, MAX_UPSCALE)
    if scale > 1:  # enlarged, never past the pixel cap (nor reduced because of it)
        scale = max(1.0, min(scale, math.sqrt(max_pixels / max(gray.shape[0] * gray.shape[1], 1))))
    if height >= 14:  # dust and specks of a scan, while its strokes are wide enough to keep
        gray = cv2.medianBlur(gray, 3)
    if abs(scale - 1.0) > 0.05:
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
    else:
        scale = 1.0
    flat = cv2.medianBlur(even_lighting(gray, height * scale if height else TARGET_CHAR_HEIGHT), 3)
    angle = skew_angle(flat)
    if abs(angle) >= 0.2:
        flat = _rotate(flat, angle)
    binary = threshold(flat)
    binary = _crop_to_ink(binary)
    # Body text of 10 points is about 25 pixels high (median of its characters) at 300 dpi.
    assumed = 300 * height * scale / 25 if height else dpi * scale
    return Image.fromarray(binary, "L"), int(min(max(assumed, 70), 1200))


def find_page(gray):
    """The four corners of the page photographed on a darker background, or ``None``.

    Looked for on a reduced copy: the outline of the largest bright region, simplified to
    a polygon; only a convex quadrilateral covering a plausible share of the photo counts.

    :return: a 4 x 2 float array (top-left, top-right, bottom-right, bottom-left), in pixels
        of ``gray``, or ``None``
    """
    import cv2
    import numpy as np

    reduce = 600 / max(gray.shape)
    small = cv2.resize(gray, None, fx=reduce, fy=reduce, interpolation=cv2.INTER_AREA) if reduce < 1 else gray
    reduce = min(reduce, 1.0)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    # The outline of the page: its edges against the desk (a shadow across the page is a
    # soft gradient, not an edge), closed by a dilation, then the hull of what they enclose.
    edges = cv2.dilate(cv2.Canny(blurred, 20, 60), cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    _level, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    polygon = None
    for mask in (edges, bright):
        contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            continue
        hull = cv2.convexHull(max(contours, key=lambda contour: cv2.contourArea(cv2.convexHull(contour))))
        area = cv2.contourArea(hull) / (small.shape[0] * small.shape[1])
        if not MIN_PAGE_AREA <= area <= MAX_PAGE_AREA:
            continue
        for epsilon in (0.02, 0.03, 0.05):
            approx = cv2.approxPolyDP(hull, epsilon * cv2.arcLength(hull, True), True)
            if len(approx) == 4:
                polygon = approx.reshape(4, 2).astype(np.float32)
                break
        else:
            # Not four clean sides (a corner cut by the frame, a fold): the rotated bounding box.
            polygon = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
        break
    if polygon is None:
        return None
    if _touches_border(polygon, small.shape):
        return None  # the paper fills the frame: nothing to straighten
    return _order_corners(polygon / reduce)


def _touches_border(polygon, shape, margin=2):
    height, width = shape[:2]
    xs, ys = polygon[:, 0], polygon[:, 1]
    return bool((xs <= margin).sum() + (xs >= width - 1 - margin).sum() + (ys <= margin).sum()
                + (ys >= height - 1 - margin).sum() >= 3)  # fmt: skip


def _order_corners(points):
    import numpy as np

    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array(
        [points[np.argmin(sums)], points[np.argmin(diffs)], points[np.argmax(sums)], points[np.argmax(diffs)]],
        dtype=np.float32,
    )


def _warp(gray, quad):
    """The page inside ``quad`` as an upright rectangle of its own size."""
    import cv2
    import numpy as np

    top_left, top_right, bottom_right, bottom_left = quad
    width = int(max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left)))
    height = int(max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def character_height(gray):
    """The median height of the characters, in pixels, or 0 when no text is seen.

    Measured on the connected components of a local threshold: the blobs of character
    size (not specks, not lines or pictures).
    """
    import cv2
    import numpy as np

    block = max(15, (min(gray.shape) // 20) | 1)
    # A median filter first: the specks and sensor noise of a scan are not characters.
    binary = cv2.adaptiveThreshold(
        cv2.medianBlur(gray, 3), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
    )
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return 0
    heights, widths, areas = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_AREA]
    glyphs = (heights >= 6) & (heights <= gray.shape[0] / 8) & (widths <= heights * 3) & (areas >= 15)
    if glyphs.sum() < 20:
        return 0
    return float(np.median(heights[glyphs]))


def even_lighting(gray, char_height):
    """``gray`` divided by its background (text removed by a closing larger than a
    character): shadows, light fall-off and a grey paper become white, faded ink dark."""
    import cv2
    import numpy as np

    # The background varies slowly: estimated on a copy reduced to characters of ~6 pixels
    # (a closing of a full page at full size takes seconds), then enlarged back.
    reduce = min(1.0, 6.0 / max(char_height, 6.0))
    small = cv2.resize(gray, None, fx=reduce, fy=reduce, interpolation=cv2.INTER_AREA) if reduce < 1 else gray
    size = int(max(char_height * reduce, 6) * 2.5) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), size / 2)
    if reduce < 1:
        background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = gray.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)
    flat = np.clip(flat * 255.0, 0, 255)
    # Stretch: the darkest ink to black (faded thermal print reaches only a mid grey).
    ink = np.percentile(flat, 1)
    if ink < 235:
        flat = np.clip((flat - ink) * 255.0 / (255.0 - ink), 0, 255)
    return flat.astype(np.uint8)


def skew_angle(gray):
    """The angle (degrees, counter-clockwise) that levels the lines of text of ``gray``.

    The ink of a level page projects onto its rows as sharp peaks (lines) and gaps; the
    angle within ±:data:`MAX_SKEW_DEGREES` whose projection varies most is the skew.
    """
    import cv2
    import numpy as np

    reduce = min(1.0, 700 / max(gray.shape))
    small = cv2.resize(gray, None, fx=reduce, fy=reduce, interpolation=cv2.INTER_AREA) if reduce < 1 else gray
    _level, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if not ink.any():
        return 0.0

    def sharpness(angle):
        rows = _rotate(ink, angle, fill=0).sum(axis=1, dtype=np.float64)
        return float(np.var(np.diff(rows)))

    best = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(best - 0.5, best + 0.51, 0.1), key=sharpness)
    return round(float(fine), 2)


def _rotate(gray, angle, fill=255):
    """``gray`` rotated by ``angle`` degrees counter-clockwise, grown to keep its corners."""
    import cv2

    height, width = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    return cv2.warpAffine(
        gray, matrix, (new_width, new_height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def threshold(gray):
    """The paper white, the ink as it is: every pixel lighter than Otsu's level (on the
    evened-out image) becomes white, darker ones keep their grey.

    What is left of the background (JPEG blocks, paper grain, the edge of a shadow) is
    removed, while the strokes keep their anti-aliased edges: Tesseract's own binarisation
    then cuts them cleanly. A hard black-and-white cut at this resolution thickens the
    strokes of faded print, and Tesseract reads its 0 as 8.
    """
    import cv2
    import numpy as np

    level, _binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.where(gray > level, 255, gray).astype(np.uint8)


def _crop_to_ink(binary, margin=20):
    """The part of ``binary`` that holds ink, with a white margin (Tesseract wants one)."""
    import cv2
    import numpy as np

    ink = cv2.findNonZero(255 - binary)
    if ink is None:
        return binary
    x, y, width, height = cv2.boundingRect(ink)
    cropped = binary[y : y + height, x : x + width]
    return np.pad(cropped, margin, constant_values=255)
