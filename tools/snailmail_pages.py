# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""How many pages a letter will have before its PDF exists — plain Python, no ORM.

The price of a letter depends on the pages of the PDF posted, which stock renders only
when the letter is posted. Before that (the Send & Print wizard of an invoice never
printed), the pages are estimated from the invoice's lines: the stock invoice report on
A4 with the snail mail layout holds about 25 rows of lines on its first page (under the
addresses) and about 45 on each further page (measured with wkhtmltopdf 0.12 on the
standard layout, one-row lines: 26 lines fit on one page, 28 take two, 70 two, 80 three).
A description wraps after about 60 characters. The estimate is shown as one.
"""

import math

FIRST_PAGE_ROWS = 25
NEXT_PAGE_ROWS = 45
CHARACTERS_PER_ROW = 60


def estimated_rows(texts):
    """Rows the lines of a document take, each text wrapping after `CHARACTERS_PER_ROW`.

    :param texts: the text of each line (its description, with its line breaks)
    :return: int
    """
    rows = 0
    for text in texts:
        for row in (text or "").splitlines() or [""]:
            rows += max(1, math.ceil(len(row) / CHARACTERS_PER_ROW))
    return rows


def estimated_document_pages(texts):
    """Pages of an invoice-like document whose lines have ``texts``, estimated.

    :return: int, at least 1
    """
    rows = estimated_rows(texts)
    return 1 + max(0, math.ceil((rows - FIRST_PAGE_ROWS) / NEXT_PAGE_ROWS))


def letter_pages(document_pages, cover=False, duplex=False):
    """Pages of the letter posted for a document of ``document_pages`` pages: stock adds a
    cover page with the address when asked, and a blank page behind it when the letter is
    printed on both sides (`snailmail.letter._append_cover_page`).

    :return: int, at least 1
    """
    pages = max(int(document_pages or 0), 1)
    if cover:
        pages += 2 if duplex else 1
    return pages
