# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import hashlib
import hmac
import logging
import time

import postgrid

from odoo import fields, models

from ..tools import gateway_errors

_logger = logging.getLogger(__name__)
# The SDK's HTTP client logs each request's URL; our own log lines (redacted) say what a log may show.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("postgrid").setLevel(logging.WARNING)

POSTGRID_API_URL = "https://api.postgrid.com"
# Statuses of a PostGrid letter (`Letter.status`): after `completed` or `cancelled` nothing changes.
POSTGRID_STATUSES = {"ready", "printing", "processed_for_delivery", "completed", "cancelled"}
POSTGRID_FINAL_STATUSES = {"completed", "cancelled"}
# How old a signed webhook may be (PostGrid-Signature's timestamp), against replays.
POSTGRID_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000
# Words of PostGrid's validation messages that tell what it refused, as stock error codes.
FORMAT_WORDS = ("pdf", "page", "file", "document", "size")
ADDRESS_WORDS = ("address", "contact", "country", "postal", "zip", "city", "province", "recipient", "line1")


class IapSnailmailGateway(models.Model):
    """PostGrid provider, through the official `postgrid-python` SDK (Print & Mail API).

    Each letter is created with its PDF uploaded (multipart), the recipient and the
    company's return address inline, color and double-sided options, and an idempotency
    key, so that a letter whose answer was lost is never printed twice. PostGrid's status
    webhook (JSON payload, signed with the webhook secret) and the polling job move the
    letter on; a letter PostGrid cancels gives its credits back.
    """

    _inherit = "iap.snailmail.gateway"

    code = fields.Selection(selection_add=[("postgrid", "PostGrid")], ondelete={"postgrid": "set default"})
    postgrid_api_key = fields.Char(
        string="PostGrid API Key",
        groups="base.group_system",
        help="The Print & Mail API key (test_sk_… to try without printing, live_sk_… to post for real).",
    )
    postgrid_api_url = fields.Char(
        string="PostGrid API URL",
        default=POSTGRID_API_URL,
        groups="base.group_system",
        help="Base URL of PostGrid's API; change it only for a proxy or a test server.",
    )
    postgrid_webhook_secret = fields.Char(
        string="PostGrid Webhook Secret",
        groups="base.group_system",
        help="The secret of the PostGrid webhook (payload format JSON, events letter.updated) that calls "
        "this database; its signature proves a status report comes from PostGrid.",
    )
    postgrid_address_placement = fields.Selection(
        [("insert_blank_page", "PostGrid adds an address page"), ("top_first_page", "On the first page")],
        string="Address Placement",
        default="insert_blank_page",
        help="Where PostGrid prints the recipient's address for its envelope window. With 'first page' the "
        "document's first page must leave PostGrid's address zone blank.",
    )
    postgrid_webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_postgrid_webhook_url",
        help="The URL to give PostGrid's webhook (events letter.updated, payload format JSON).",
    )

    def _compute_postgrid_webhook_url(self):
        for gateway in self:
            gateway.postgrid_webhook_url = (
                gateway._snailmail_status_url(f"/iap_credits/snailmail/postgrid/webhook/{gateway.id}")
                if gateway.id
                else False
            )

    # ------------------------------------------------------------
    # PROVIDER HOOKS
    # ------------------------------------------------------------

    def _snailmail_send(self, items):
        """Override of `iap_credits` to create each letter through PostGrid's Letters API."""
        if self.code != "postgrid":
            return super()._snailmail_send(items)
        client = self._postgrid_client()
        outcomes = []
        for index, item in enumerate(items):
            outcome = self._postgrid_send_one(client, item)
            outcomes.append(outcome)
            if outcome.get("retry") and not outcome.get("provider_ref"):
                # PostGrid is down or too slow: the others fail at once rather than each
                # waiting for its own timeout.
                outcomes += self._snailmail_failure(items[index + 1 :], outcome["failure_reason"])
                break
        return outcomes

    def _snailmail_poll(self, posts):
        """Override of `iap_credits` to read the status of each letter from PostGrid."""
        if self.code != "postgrid":
            return super()._snailmail_poll(posts)
        client = self._postgrid_client()
        for post in posts:
            try:
                letter = client.print_mail.letters.retrieve(post.provider_ref)
                status = letter.status
                reason = getattr(getattr(letter, "cancellation", None), "reason", None)
            except (postgrid.APIError, ValueError, TypeError, AttributeError) as error:
                _logger.warning(
                    "PostGrid gateway %s: status of %s unknown: %s",
                    self.name,
                    post.provider_ref,
                    gateway_errors.redact(f"{type(error).__name__}: {error}", secrets=self._gateway_secret_values()),
                )
                if isinstance(error, postgrid.APIConnectionError):
                    break  # unreachable: the next run asks again
                continue
            post._snailmail_apply_status(status, cancellation_reason=reason)

    # ------------------------------------------------------------
    # POSTGRID
    # ------------------------------------------------------------

    def _gateway_secret_fields(self):
        """Override of `iap.gateway.request.mixin`: PostGrid's credentials."""
        return super()._gateway_secret_fields() | {"postgrid_api_key", "postgrid_webhook_secret"}

    def _postgrid_client(self):
        """The SDK's client for this gateway: its key, API URL and timeout, no retry of its
        own (the retry job retries, with the same idempotency key)."""
        self.ensure_one()
        gateway = self.sudo()
        return postgrid.PostGrid(
            print_mail_api_key=gateway.postgrid_api_key or "",
            base_url=gateway.postgrid_api_url or POSTGRID_API_URL,
            timeout=self.timeout,
            max_retries=0,
        )

    @staticmethod
    def _postgrid_contact(address, is_sender=False):
        """A PostGrid inline contact from a stock snail mail address."""
        contact = {
            "address_line1": address.get("street") or "",
            "address_line2": address.get("street2") or "",
            "city": address.get("city") or "",
            "postal_or_zip": address.get("zip") or "",
            "province_or_state": address.get("state") or "",
            "country_code": address.get("country_code") or "",
        }
        company = address.get("company_name")
        if is_sender or not company or company == address.get("name"):
            contact["company_name"] = address.get("name") or ""
        else:
            contact["first_name"] = address.get("name") or ""
            contact["company_name"] = company
        return {key: value for key, value in contact.items() if value}

    def _postgrid_send_one(self, client, item):
        """Create one letter; every failure is an outcome, never an exception."""
        secrets = self._gateway_secret_values()
        try:
            letter = client.print_mail.letters.create(
                to=self._postgrid_contact(item["address"]),
                from_=self._postgrid_contact(item["return_address"], is_sender=True),
                pdf=(item["filename"], item["pdf"], "application/pdf"),
                color=bool(item["color"]),
                double_sided=bool(item["duplex"]),
                address_placement=self.postgrid_address_placement or "insert_blank_page",
                description=(item.get("description") or "")[:255],
                metadata={"odoo_letter_id": str(item["letter_id"])},
                idempotency_key=item["idempotency_key"],
            )
        except postgrid.APITimeoutError as error:
            self._gateway_log_failure(error, self.sudo().postgrid_api_url or POSTGRID_API_URL)
            # PostGrid may have created the letter: the retry reuses the idempotency key.
            return self._snailmail_failure(
                [item], self._snailmail_request_failure_reason(gateway_errors.TIMEOUT), uncertain=True
            )[0]
        except postgrid.APIConnectionError as error:
            self._gateway_log_failure(error, self.sudo().postgrid_api_url or POSTGRID_API_URL)
            reason = self._snailmail_request_failure_reason(gateway_errors.UNREACHABLE)
            return self._snailmail_failure([item], reason)[0]
        except postgrid.APIStatusError as error:
            return self._postgrid_refusal(item, error)
        except (postgrid.APIError, ValueError, TypeError, KeyError) as error:
            _logger.warning(
                "PostGrid gateway %s gave an unreadable answer for letter %s: %s",
                self.name,
                item["letter_id"],
                gateway_errors.redact(str(error), secrets=secrets),
            )
            return self._snailmail_failure(
                [item], self._snailmail_request_failure_reason(gateway_errors.UNREADABLE), uncertain=True
            )[0]
        return self._postgrid_answer(item, letter)

    def _postgrid_answer(self, item, letter):
        """The outcome of the letter PostGrid answered with: accepted, or unreadable."""
        letter_id = getattr(letter, "id", None)
        status = getattr(letter, "status", None)
        if not isinstance(letter_id, str) or not letter_id.startswith("letter_") or status not in POSTGRID_STATUSES:
            _logger.warning(
                "PostGrid gateway %s answered letter %s without id or with status %r",
                self.name,
                item["letter_id"],
                status,
            )
            return self._snailmail_failure(
                [item], self._snailmail_request_failure_reason(gateway_errors.UNREADABLE), uncertain=True
            )[0]
        if status == "cancelled":
            return {
                "success": False,
                "error_code": "UNKNOWN_ERROR",
                "provider_ref": letter_id,
                "provider_status": status,
                "failure_reason": self.env._("PostGrid cancelled the letter at once."),
            }
        return {"success": True, "provider_ref": letter_id, "provider_status": status}

    def _postgrid_refusal(self, item, error):
        """The outcome of an HTTP error of PostGrid: a refusal of the letter (4xx) or a
        failure of PostGrid (429, 5xx) that the retry job tries again."""
        status = error.status_code
        body = error.body if isinstance(error.body, dict) else {}
        # PostGrid's errors: {"object": "error", "error": {"type": ..., "message": ...}}
        details = body.get("error") if isinstance(body.get("error"), dict) else body
        error_type = str(details.get("type") or "")
        message = gateway_errors.redact(str(details.get("message") or ""))[:500]
        _logger.log(
            logging.WARNING if status >= 500 or status in (401, 403, 429) else logging.INFO,
            "PostGrid refused letter %s: HTTP %s, %s: %s",
            item["letter_id"],
            status,
            error_type,
            message,
        )
        if status >= 500 or status == 429:
            return self._snailmail_failure(
                [item], self._snailmail_request_failure_reason(gateway_errors.HTTP_ERROR, status=status)
            )[0]
        if status in (401, 403):
            reason = self.env._(
                "PostGrid refused the API key of %(name)s (HTTP %(status)s): ask an administrator to check it.",
                name=self.name,
                status=status,
            )
            return self._snailmail_failure([item], reason)[0]
        text = f"{error_type} {message}".lower()
        if any(word in text for word in FORMAT_WORDS):
            code = "FORMAT_ERROR"
        elif any(word in text for word in ADDRESS_WORDS):
            code = "MISSING_REQUIRED_FIELDS"
        else:
            code = "UNKNOWN_ERROR"
        reason = self.env._(
            "PostGrid refused the letter (HTTP %(status)s, %(type)s): %(message)s",
            status=status,
            type=error_type or "-",
            message=message or "-",
        )
        return {"success": False, "error_code": code, "failure_reason": reason}

    def _postgrid_check_signature(self, header, body):
        """Whether a webhook call was signed by PostGrid with this gateway's webhook secret.

        PostGrid sends ``PostGrid-Signature: t=<timestamp>,v1=<hex HMAC-SHA256>`` computed
        over ``"<timestamp>.<raw body>"``; the timestamp (milliseconds, or seconds) must be
        recent, so that a recorded call cannot be replayed later.

        :param str header: the PostGrid-Signature header
        :param bytes body: the raw request body
        """
        self.ensure_one()
        secret = self.sudo().postgrid_webhook_secret
        if not secret or not header:
            return False
        parts = {}
        for element in header.split(","):
            key, _sep, value = element.strip().partition("=")
            parts.setdefault(key, []).append(value)
        timestamps = parts.get("t") or []
        if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 16:
            return False
        stamp = int(timestamps[0])
        stamp_ms = stamp if stamp > 10**11 else stamp * 1000
        if abs(time.time() * 1000 - stamp_ms) > POSTGRID_SIGNATURE_TOLERANCE_MS:
            return False
        expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest().encode()
        return any(hmac.compare_digest(expected, value.encode("utf-8", "replace")) for value in parts.get("v1") or [])
