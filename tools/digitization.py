# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Extractors of document digitization: text in, fields out, one per document type.

The extension point for new document types (receipts, resumes, ...): register a
function ``extractor(text, **context) -> dict`` under a document type name, and the
Tesseract gateway of `iap.account` will use it for documents of that type.
"""

from . import invoice_extract, receipt_extract

EXTRACTORS = {}
# The fields whose presence makes a reading worth its credits, per document type.
ESSENTIAL_FIELDS = {}


def register_extractor(document_type, essential_fields=()):
    """Decorator: make ``function(text, **context)`` the extractor of ``document_type``.

    :param str document_type: e.g. ``"invoice"``, ``"receipt"``, ``"resume"``
    :param essential_fields: keys of which at least one must be found for the reading
        to count as a success (and be charged)
    """

    def decorator(function):
        EXTRACTORS[document_type] = function
        ESSENTIAL_FIELDS[document_type] = tuple(essential_fields)
        return function

    return decorator


def extract_fields(document_type, text, **context):
    """Run the extractor of ``document_type`` on ``text``.

    :raise KeyError: when no extractor is registered for that type
    """
    return EXTRACTORS[document_type](text, **context)


def is_successful(document_type, values):
    """Whether ``values`` hold enough to be worth charging: at least one essential field."""
    essential = ESSENTIAL_FIELDS.get(document_type) or tuple(values)
    return any(values.get(key) not in (None, "", [], {}) for key in essential)


@register_extractor("invoice", essential_fields=("invoice_number", "invoice_date", "amount_total"))
def extract_invoice(text, exclude_vats=(), **_context):
    """Vendor bills and refunds (see :mod:`.invoice_extract`)."""
    return invoice_extract.extract_invoice(text, exclude_vats=exclude_vats)


@register_extractor("receipt", essential_fields=("amount_total", "date"))
def extract_receipt(text, exclude_vats=(), **_context):
    """Till receipts of expenses (see :mod:`.receipt_extract`)."""
    return receipt_extract.extract_receipt(text, exclude_vats=exclude_vats)
