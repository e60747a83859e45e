# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import digitization, document_text

_logger = logging.getLogger(__name__)

DIGITIZATION_SERVICE = "invoice_ocr"


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
            (e.g. ``"invoice"``) and ``exclude_vats`` (the company's own VAT numbers)
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
        """Gateway `tesseract`: the PDF's text layer or Tesseract OCR, then the extractor."""
        try:
            read = document_text.document_to_text(
                document["data"], document["mimetype"], languages=self.digitization_languages
            )
        except document_text.DocumentError as error:
            return {"success": False, "error_code": "unreadable", "error": str(error), "fields": {}}
        values = digitization.extract_fields(
            document.get("document_type") or "invoice", read.text, exclude_vats=document.get("exclude_vats") or ()
        )
        _logger.info(
            "Digitized %s (%s pages, %s by OCR) with Tesseract", document.get("name"), read.pages, read.ocr_pages
        )
        success = digitization.is_successful(document.get("document_type") or "invoice", values)
        values["text"] = read.text
        if not success:
            return {
                "success": False,
                "error_code": "unreadable",
                "error": self.env._("No bill fields could be read from the document."),
                "fields": values,
            }
        return {"success": True, "fields": values}
