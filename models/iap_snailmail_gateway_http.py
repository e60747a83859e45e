# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import base64
import logging

from odoo import fields, models

from ..tools import gateway_errors
from .iap_gateway_request_mixin import GatewayRequestError

_logger = logging.getLogger(__name__)

# Statuses of the generic HTTP API, for the answer to a letter and for its status reports.
HTTP_ACCEPTED_STATUSES = {"accepted", "queued", "printing", "sent", "delivered"}
HTTP_REFUSED_STATUSES = {"refused", "rejected", "failed"}
HTTP_FINAL_STATUSES = {"delivered", "cancelled", "failed", "returned"}
STOCK_ERROR_CODES = {"MISSING_REQUIRED_FIELDS", "FORMAT_ERROR", "UNKNOWN_ERROR", "ATTACHMENT_ERROR"}


class IapSnailmailGateway(models.Model):
    """Generic HTTP provider: any print-and-mail service that takes a letter as JSON.

    The gateway POSTs one letter per request to the configured URL, with the configured
    authentication header and ``Idempotency-Key`` (the same for every attempt at a letter
    whose answer was lost)::

        {"letter": {"id", "pdf" (base64), "filename", "pages", "color", "duplex", "cover",
                    "address": {"name", "company_name", "street", "street2", "zip", "city",
                                "state", "country_code"},
                    "return_address": {...}, "description"},
         "status_url": "..."}

    and reads ``{"id", "status", "error", "error_code"}``: ``status`` ``accepted`` (or
    ``queued``, ``printing``, ``sent``, ``delivered``) is charged; ``refused`` with an
    ``error_code`` among the stock codes (``MISSING_REQUIRED_FIELDS``, ``FORMAT_ERROR``)
    is not. A 4xx is a refusal, a 5xx or a timeout a failure the retry job tries again.
    Status reports come back to ``status_url`` as ``{"id", "status", "error"}`` with the
    header ``X-IAP-Credits-Token``; ``cancelled`` or ``failed`` gives the credits back.
    """

    _name = "iap.snailmail.gateway"
    _inherit = ["iap.snailmail.gateway", "iap.gateway.http.mixin"]

    code = fields.Selection(selection_add=[("http", "Generic HTTP (JSON)")], ondelete={"http": "set default"})
    http_url = fields.Char(help="The URL each letter is POSTed to, as JSON.")

    # ------------------------------------------------------------
    # PROVIDER HOOKS
    # ------------------------------------------------------------

    def _snailmail_send(self, items):
        """Override of `iap_credits` to POST each letter to the generic HTTP API."""
        if self.code != "http":
            return super()._snailmail_send(items)
        outcomes = []
        for index, item in enumerate(items):
            outcome = self._http_send_one(item)
            outcomes.append(outcome)
            if outcome.get("retry"):
                outcomes += self._snailmail_failure(items[index + 1 :], outcome["failure_reason"])
                break
        return outcomes

    # ------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------

    def _http_payload(self, item):
        return {
            "letter": {
                "id": item["idempotency_key"],
                "pdf": base64.b64encode(item["pdf"]).decode(),
                "filename": item["filename"],
                "pages": item["pages"],
                "color": bool(item["color"]),
                "duplex": bool(item["duplex"]),
                "cover": bool(item["cover"]),
                "address": item["address"],
                "return_address": item["return_address"],
                "description": item.get("description") or "",
            },
            "status_url": self._snailmail_status_url(f"/iap_credits/snailmail/http/status/{self.id}"),
        }

    def _http_send_one(self, item):
        """POST one letter; every failure is an outcome, never an exception."""
        self.ensure_one()
        gateway = self.sudo()
        if not gateway.http_url:
            return self._snailmail_failure(
                [item], self.env._("The snail mail provider %(name)s has no API URL.", name=self.name)
            )[0]
        headers = self._http_headers(**{"Idempotency-Key": item["idempotency_key"]})
        try:
            response, answer = self._gateway_request(
                "POST",
                gateway.http_url,
                json=self._http_payload(item),
                headers=headers,
                # A 4xx is a refusal of the letter, but credentials, time-outs and rate limits.
                accept_status=lambda status: status < 500 and status not in (401, 403, 408, 429),
            )
        except GatewayRequestError as error:
            return self._snailmail_failure(
                [item],
                str(error),
                # Without a readable answer, the provider may have taken the letter.
                uncertain=error.kind in (gateway_errors.TIMEOUT, gateway_errors.UNREADABLE),
            )[0]
        if response.status_code >= 400:
            return self._http_refusal(item, response)
        status = answer.get("status") if isinstance(answer, dict) else None
        provider_ref = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if status in HTTP_ACCEPTED_STATUSES and provider_ref:
            return {"success": True, "provider_ref": provider_ref, "provider_status": status}
        if status in HTTP_REFUSED_STATUSES:
            return self._http_refusal(item, response, answer)
        _logger.warning("Snail mail gateway %s: malformed answer: %r", self.name, answer)
        return self._snailmail_failure(
            [item],
            self.env._("The snail mail provider %(name)s gave a malformed answer.", name=self.name),
            uncertain=True,
        )[0]

    def _http_refusal(self, item, response, answer=None):
        """A letter the provider refused: not charged, not retried by the job."""
        if answer is None:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
        answer = answer if isinstance(answer, dict) else {}
        code = answer.get("error_code") if answer.get("error_code") in STOCK_ERROR_CODES else "UNKNOWN_ERROR"
        message = gateway_errors.redact(str(answer.get("error") or answer.get("status") or ""))[:500]
        _logger.info("Snail mail gateway %s refused letter %s: HTTP %s %s", self.name, item["letter_id"],
                     response.status_code, message)  # fmt: skip
        return {
            "success": False,
            "error_code": code,
            "failure_reason": self.env._(
                "The snail mail provider %(name)s refused the letter: %(message)s",
                name=self.name,
                message=message or self.env._("HTTP %(status)s", status=response.status_code),
            ),
        }
