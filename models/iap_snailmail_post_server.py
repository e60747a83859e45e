# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the documents of client databases posted through this database's providers."""

import base64
import binascii
import io
import logging

from odoo import api, fields, models

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

_logger = logging.getLogger(__name__)

# Pages of one document (the client's PDF, its cover page included) this server posts.
MAX_PAGES = 50
ADDRESS_REQUIRED = ("name", "street", "zip", "city", "country_code")
ADDRESS_KEYS = (*ADDRESS_REQUIRED, "street2", "state", "company_name")


class IapSnailmailPost(models.Model):
    _inherit = "iap.snailmail.post"

    client_letter_id = fields.Integer(
        readonly=True,
        index="btree_not_null",
        help="Server mode: the id of the letter in the client database that sent this document.",
    )

    @api.model
    def _server_print(self, account, documents, options):
        """Post the documents of a client's call ``/iap/snailmail/1/print``, each on its own,
        as this database posts its own letters (`_post_item`: priced, charged only when the
        provider accepted it), and answer in the shape the stock client reads
        (`snailmail.letter._snailmail_print_valid_address`).

        :param account: the client's local snail mail account (sudo)
        :param list documents: dicts as stock `_snailmail_create('print')` builds them, with
            an int ``letter_id`` each (checked by the route)
        :param dict options: ``color``, ``duplex``, ``cover``
        :return: ``{"request_code": 200, "total_cost", "credit_error", "request": {"documents", "options"}}``;
            each document ``{"letter_id", "sent", "send_id", "error", "reason"}``, ``error`` a
            stock error code
        """
        options = {key: bool(options.get(key)) for key in ("color", "duplex", "cover")}
        answers, total = [], 0.0
        for document in documents:
            answer = self._server_print_document(account, document, options)
            total += answer.pop("cost", 0.0)
            answers.append(answer)
        return {
            "request_code": 200,
            "total_cost": total,
            "credit_error": any(answer["error"] == "CREDIT_ERROR" for answer in answers),
            "request": {"documents": answers, "options": options},
        }

    @api.model
    def _server_print_document(self, account, document, options):
        letter_id = document["letter_id"]
        attempts = [("account_id", "=", account.id), ("client_letter_id", "=", letter_id)]
        # One call at a time posts a client's letter (the lock ends with the transaction),
        # as `_post_letter` locks a letter of this database.
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"iap_credits.server_snailmail:{account.id}:{letter_id}",),
        )
        if not self.env.cr.fetchone()[0]:
            reason = self.env._("This letter is being posted by another call.")
            return self._server_error(letter_id, "UNKNOWN_ERROR", reason)
        posted = self._accepted_attempt(attempts)
        if posted:
            # Accepted and charged by an earlier call whose answer the client lost: never again.
            return self._server_sent(letter_id, posted.provider_ref, 0.0)
        checked, refusal = self._server_check(account, document)
        if refusal:
            return refusal
        address, country, pdf, pages, gateway = checked
        res_model, res_id = document.get("res_model"), document.get("res_id")
        client_key = account.client_dbuuid or f"client-{account.id}"
        item = {
            "letter_id": f"client-{account.id}-{letter_id}",
            "pdf": pdf,
            "filename": f"letter-{letter_id}.pdf",
            "pages": pages,
            "address": address,
            "return_address": self._server_fields(document.get("return_address")),
            "contact_address": self._server_text(document.get("contact_address"), 500) or "",
            **options,
            "description": self.env._(
                "%(client)s: %(document)s",
                client=account.client_partner_id.display_name or account.display_name,
                document=f"{self._server_text(res_model, 64) or '?'} {res_id if isinstance(res_id, int) else '?'}",
            ),
            "idempotency_key": self._attempt_key(attempts, f"odoo-{client_key}-letter-{letter_id}"),
        }
        origin = {"client_letter_id": letter_id, "country_id": country.id, "company_id": account.company_ids[:1].id}
        try:
            outcome, post = self._post_item(account, gateway, item, origin, country)
        except InsufficientCreditError:
            return self._server_error(letter_id, "CREDIT_ERROR", self.env._("The account has not enough credits."))
        if outcome.get("success"):
            return self._server_sent(letter_id, outcome.get("provider_ref"), post.credits)
        return self._server_error(
            letter_id, outcome.get("error_code") or "UNKNOWN_ERROR", outcome.get("failure_reason")
        )

    # ------------------------------------------------------------
    # CHECKS — a document is refused before anything is held
    # ------------------------------------------------------------

    @api.model
    def _server_check(self, account, document):
        """``((address, country, pdf, pages, gateway), None)`` for a document that can be
        posted, else ``(None, the document's answer)``: incomplete address, unknown
        country, not a readable PDF of 1 to `MAX_PAGES` pages, no provider."""
        letter_id = document["letter_id"]
        address = self._server_fields(document.get("address"))
        if not all(address[key] for key in ADDRESS_REQUIRED):
            reason = self.env._("The address of the letter is incomplete.")
            return None, self._server_error(letter_id, "MISSING_REQUIRED_FIELDS", reason)
        country = self.env["res.country"].sudo().search([("code", "=ilike", address["country_code"])], limit=1)
        if not country:
            reason = self.env._("This server does not post letters to that country.")
            return None, self._server_error(letter_id, "NO_PRICE_AVAILABLE", reason)
        address["country_code"] = country.code
        pdf = self._server_pdf(document.get("pdf_bin"))
        pages = self._server_pages(pdf)
        if not pages:
            reason = self.env._("The document is not a PDF of 1 to %(max)s pages.", max=MAX_PAGES)
            return None, self._server_error(letter_id, "FORMAT_ERROR", reason)
        gateway = account.snailmail_gateway_id
        if not gateway:
            reason = self.env._("This server cannot post letters now.")
            return None, self._server_error(letter_id, "UNKNOWN_ERROR", reason)
        return (address, country, pdf, pages, gateway), None

    @api.model
    def _server_fields(self, address):
        """An address sent by a client, as text fields only (missing ones empty)."""
        if not isinstance(address, dict):
            address = {}
        return {key: self._server_text(address.get(key), 128) for key in ADDRESS_KEYS}

    @api.model
    def _server_text(self, value, size):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # stock sends the zip as it is stored: usually text, sometimes a number
        return value.strip()[:size] if isinstance(value, str) else None

    @api.model
    def _server_pdf(self, pdf_bin):
        """The bytes of a document's base64 PDF, or ``b""``."""
        if not isinstance(pdf_bin, str):
            return b""
        try:
            return base64.b64decode(pdf_bin, validate=True)
        except (binascii.Error, ValueError):
            return b""

    @api.model
    def _server_pages(self, pdf):
        """Pages of ``pdf`` when it is a readable PDF of at most `MAX_PAGES`, else 0."""
        if not pdf.startswith(b"%PDF-"):
            return 0
        import pypdf

        try:
            pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        except Exception as error:  # pypdf raises many kinds of errors on broken files
            _logger.info("Server snail mail: unreadable PDF refused: %s", type(error).__name__)
            return 0
        return pages if 0 < pages <= MAX_PAGES else 0

    # ------------------------------------------------------------
    # ANSWERS
    # ------------------------------------------------------------

    @api.model
    def _server_sent(self, letter_id, provider_ref, cost):
        return {"letter_id": letter_id, "sent": True, "send_id": provider_ref or "-", "error": False, "cost": cost}

    @api.model
    def _server_error(self, letter_id, code, reason):
        _logger.info("Server snail mail: client letter %s not posted: %s", letter_id, code)
        return {"letter_id": letter_id, "sent": False, "send_id": False, "error": code, "reason": reason or ""}
