# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import re
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, formatLang, human_size

from ..tools import digitization, document_text

_logger = logging.getLogger(__name__)

DIGITIZATION_SERVICE = "invoice_ocr"
# The caps on reading one document: system parameters an administrator sets (Settings >
# Technical > System Parameters); unset or invalid means the default of DocumentLimits.
PARAM_MAX_BYTES = "iap_credits.digitization_max_bytes"
PARAM_MAX_PAGES = "iap_credits.digitization_max_pages"
PARAM_MAX_PIXELS = "iap_credits.digitization_max_pixels"
PARAM_MAX_SECONDS = "iap_credits.digitization_max_seconds"
# How the extractors give dates (see `tools.document_values.to_date`).
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IapAccount(models.Model):
    """Document digitization settings and gateways of an `iap.account`.

    A gateway is a code of :attr:`digitization_gateway` plus a
    ``_<code>_digitization_extract`` method; :meth:`_digitization_extract` routes to it.
    Tesseract, in this database, is the default; see `iap_account_digitization_http.py`
    for a gateway added with ``selection_add``.
    """

    _inherit = "iap.account"

    is_digitization_account = fields.Boolean(compute="_compute_is_digitization_account")
    digitization_gateway = fields.Selection(
        [("tesseract", "Tesseract (local)")],
        default="tesseract",
        help="How documents are read. Tesseract runs OCR in this database's server; "
        "other gateways send the document to an external extraction service.",
    )
    digitization_languages = fields.Char(
        string="OCR Languages",
        default=document_text.DEFAULT_LANGUAGES,
        help="Tesseract language packs to read with, joined by '+', e.g. eng+fra+deu. "
        "Each must be installed on the server (tesseract --list-langs).",
    )
    digitization_auto = fields.Boolean(
        string="Digitize Uploaded Bills",
        help="Queue every vendor bill created by uploading a PDF or image, or by email, "
        "for digitization without waiting for the Digitize button.",
    )

    @api.model
    def _get_administrator_fields(self):
        """Override of `iap_credits`: the gateway decides whether documents leave this server."""
        return super()._get_administrator_fields() | {"digitization_gateway"}

    @api.model
    def _get_local_engine_fields(self):
        """Override of `iap_credits`: documents are read by the account's digitization gateway."""
        return super()._get_local_engine_fields() | {DIGITIZATION_SERVICE: "digitization_gateway"}

    @api.depends("service_id")
    def _compute_is_digitization_account(self):
        for account in self:
            account.is_digitization_account = account.service_id.technical_name == DIGITIZATION_SERVICE

    @api.constrains("digitization_languages")
    def _check_digitization_languages(self):
        for account in self:
            languages = account.digitization_languages or ""
            if languages and not all(part.replace("_", "").isalpha() for part in languages.split("+")):
                raise UserError(
                    self.env._(
                        "OCR languages are Tesseract codes joined by '+', like eng+fra+deu (not %(value)s).",
                        value=languages,
                    )
                )

    # ------------------------------------------------------------
    # GATEWAYS
    # ------------------------------------------------------------

    def _digitization_extract(self, document):
        """Read ``document`` with this account's gateway.

        Each gateway overrides this hook and returns early for the other codes.

        :param dict document: ``data`` (bytes), ``mimetype``, ``name``, ``document_type``
            (e.g. ``"invoice"``), ``exclude_vats`` (the company's own VAT numbers) and
            ``limits`` (:class:`..tools.document_text.DocumentLimits`, the caps a local
            engine reads within)
        :return: an outcome dict: ``success`` (fields were extracted: charge it),
            ``fields`` (as returned by the extractors of :mod:`..tools.digitization`),
            ``error`` and ``error_code`` when it failed
        :raise Exception: when the gateway itself failed (never charged)
        """
        self.ensure_one()
        if self.digitization_gateway == "tesseract":
            return self._tesseract_digitization_extract(document)
        raise UserError(self.env._("No digitization gateway is set on %(account)s.", account=self.display_name))

    def _tesseract_digitization_extract(self, document):
        """Gateway `tesseract`: the PDF's text layer or Tesseract OCR, then the extractor.

        A document type may ask for its own OCR ``languages`` and page segmentation mode
        (``psm``) in the document, and hand its extractor more ``context`` (a CV's phone
        numbers are read in the company's country)."""
        try:
            read = document_text.document_to_text(
                document["data"],
                document["mimetype"],
                languages=document.get("languages") or self.digitization_languages,
                limits=document.get("limits") or document_text.DEFAULT_LIMITS,
                psm=document.get("psm") or document_text.PSM_SINGLE_BLOCK,
            )
        except document_text.DocumentLimitError as error:
            return {
                "success": False,
                "error_code": "limit",
                "error": self._digitization_limit_reason(error),
                "fields": {},
            }
        except document_text.DocumentError as error:
            return {"success": False, "error_code": "unreadable", "error": str(error), "fields": {}}
        values = digitization.extract_fields(
            document.get("document_type") or "invoice",
            read.text,
            exclude_vats=document.get("exclude_vats") or (),
            **(document.get("context") or {}),
        )
        _logger.info(
            "Digitized %s (%s pages, %s by OCR) with Tesseract", document.get("name"), read.pages, read.ocr_pages
        )
        success = digitization.is_successful(document.get("document_type") or "invoice", values)
        values["text"] = read.text
        if not success:  # the record says what it looked for (`_digitization_unreadable_message`)
            return {"success": False, "error_code": "unreadable", "error": False, "fields": values}
        return {"success": True, "fields": values}

    # ------------------------------------------------------------
    # LIMITS
    # ------------------------------------------------------------

    @api.model
    def _digitization_param(self, key, default, minimum=1):
        """An integer system parameter of digitization; ``default`` when unset or invalid."""
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            value = int(value)
        except (TypeError, ValueError):
            if value not in (None, False, ""):
                _logger.warning("System parameter %s=%r is not a number: using %s", key, value, default)
            return default
        return value if value >= minimum else default

    @api.model
    def _digitization_limits(self):
        """The caps on reading one document, from the system parameters.

        :rtype: document_text.DocumentLimits
        """
        default = document_text.DEFAULT_LIMITS
        return document_text.DocumentLimits(
            max_bytes=self._digitization_param(PARAM_MAX_BYTES, default.max_bytes),
            max_pages=self._digitization_param(PARAM_MAX_PAGES, default.max_pages),
            max_pixels=self._digitization_param(PARAM_MAX_PIXELS, default.max_pixels),
            max_seconds=self._digitization_param(PARAM_MAX_SECONDS, default.max_seconds),
        )

    def _digitization_limit_reason(self, error):
        """The translated reason of a :class:`..tools.document_text.DocumentLimitError`,
        for the bill's chatter: what the document has, and what the administrator allows."""
        limit, value, maximum = error.limit, error.value, error.maximum
        if limit == "bytes":
            return self.env._(
                "The document is %(size)s, more than the %(limit)s a document may have.",
                size=human_size(value),
                limit=human_size(maximum),
            )
        if limit == "pages":
            return self.env._(
                "The document has %(pages)s pages, more than the %(limit)s pages a document may have.",
                pages=value,
                limit=maximum,
            )
        if limit == "pixels" and not value:  # refused by Pillow's own cap: too big to say
            return self.env._(
                "The image has more than the %(limit)s megapixels an image may have.", limit=round(maximum / 1e6, 1)
            )
        if limit == "pixels":
            return self.env._(
                "%(what)s is %(pixels)s megapixels at a readable resolution, "
                "more than the %(limit)s megapixels allowed.",
                what=self.env._("Page %(page)s", page=error.page) if error.page else self.env._("The image"),
                pixels=round(value / 1e6, 1),
                limit=round(maximum / 1e6, 1),
            )
        if limit == "seconds":
            return self.env._(
                "Reading the document took longer than the %(limit)s seconds allowed for one document.",
                limit=maximum,
            )
        return self.env._("The PDF holds compressed data that expands beyond what is allowed: it is not read.")

    # ------------------------------------------------------------
    # DISPLAY
    # ------------------------------------------------------------

    @api.model
    def _digitization_display_value(self, value, currency=None):
        """A value read from a document, as Odoo shows it to the current user: an amount
        with its currency (``format_amount``), a date in the user's date format, the rest
        as it was read.

        :param value: a value of the extracted fields (number, ISO date string, text)
        :param currency: the `res.currency` of the document's amounts, if known
        :return: str
        """
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return format_amount(self.env, value, currency) if currency else formatLang(self.env, value)
        if isinstance(value, date) or (isinstance(value, str) and ISO_DATE_RE.fullmatch(value)):
            return format_date(self.env, value)
        return str(value)
