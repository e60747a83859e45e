# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import json
import logging
import re

from odoo.http import Controller, request, route

from .sms import IapCreditsSmsStatusController

_logger = logging.getLogger(__name__)

POSTGRID_LETTER_RE = re.compile(r"^letter_[A-Za-z0-9]{1,64}$")
POSTGRID_STATUSES = {"ready", "printing", "processed_for_delivery", "completed", "cancelled"}
POSTGRID_CANCELLATION_REASONS = {"user_initiated", "invalid_content", "invalid_order_mailing_class"}
# Statuses of the generic HTTP API's reports.
HTTP_STATUSES = {"accepted", "queued", "printing", "sent", "delivered", "returned", "cancelled", "failed"}
PROVIDER_REF_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class IapCreditsSnailmailController(Controller):
    """Status reports of the snail mail providers: validate everything, always answer.

    Until a request is proven to come from the gateway's provider (PostGrid's signature,
    the generic API's token), every refusal is the same 403 with the same body, whatever
    was wrong (unknown gateway, another provider's gateway, missing, stale or wrong
    signature): a stranger learns nothing about what exists.
    """

    @route(
        "/iap_credits/snailmail/postgrid/webhook/<int:gateway_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
    )
    def postgrid_webhook(self, gateway_id, **_kwargs):
        """PostGrid's webhook (payload format JSON), signed with the webhook's secret."""
        gateway = request.env["iap.snailmail.gateway"].sudo().browse(gateway_id).exists()
        body = request.httprequest.get_data()
        signature = request.httprequest.headers.get("PostGrid-Signature", "")
        try:
            authentic = (
                bool(gateway) and gateway.code == "postgrid" and gateway._postgrid_check_signature(signature, body)
            )
        except (ValueError, TypeError, UnicodeError):  # whatever a stranger sends, a 403
            authentic = False
        if not authentic:
            return self._forbidden("PostGrid", gateway_id)
        try:
            event = json.loads(body.decode() or "null")
            event_type = event["type"]
            data = event.get("data") or {}
            letter_id, status = data.get("id"), data.get("status")
            reason = (data.get("cancellation") or {}).get("reason")
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
            return self._json_answer({"error": 'expected {"type", "data": {"id", "status"}}'}, 400)
        if event_type not in ("letter.created", "letter.updated"):
            return self._json_answer({"ignored": event_type if isinstance(event_type, str) else None}, 200)
        if not isinstance(letter_id, str) or not POSTGRID_LETTER_RE.match(letter_id) or status not in POSTGRID_STATUSES:
            return self._json_answer({"error": "unknown letter id format or status"}, 400)
        if reason not in POSTGRID_CANCELLATION_REASONS:
            reason = None
        posts = (
            request.env["iap.snailmail.post"]
            .sudo()
            .search([("provider_ref", "=", letter_id), ("gateway_id", "=", gateway.id)])
        )
        posts._snailmail_apply_status(status, cancellation_reason=reason)
        return self._json_answer({"updated": len(posts)}, 200)

    @route(
        "/iap_credits/snailmail/http/status/<int:gateway_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
    )
    def http_status(self, gateway_id, **_kwargs):
        """Status reports of the generic HTTP API: ``{"id", "status", "error"}`` with the
        gateway's token in X-IAP-Credits-Token."""
        gateway = request.env["iap.snailmail.gateway"].sudo().browse(gateway_id).exists()
        token = request.httprequest.headers.get("X-IAP-Credits-Token", "")
        if (
            not gateway
            or gateway.code != "http"
            or not IapCreditsSmsStatusController._same_secret(token, gateway.http_callback_token)
        ):
            return self._forbidden("HTTP", gateway_id)
        try:
            report = json.loads(request.httprequest.get_data(as_text=True) or "null")
            provider_ref, status, error = str(report["id"]), str(report["status"]), report.get("error")
        except (ValueError, KeyError, TypeError):
            return self._json_answer({"error": 'expected {"id", "status"}'}, 400)
        if not PROVIDER_REF_RE.match(provider_ref) or status not in HTTP_STATUSES:
            return self._json_answer({"error": "unknown id format or status"}, 400)
        posts = (
            request.env["iap.snailmail.post"]
            .sudo()
            .search([("provider_ref", "=", provider_ref), ("gateway_id", "=", gateway.id)])
        )
        posts._snailmail_apply_status(status, failure_reason=str(error)[:500] if error else None)
        return self._json_answer({"updated": len(posts)}, 200)

    def _forbidden(self, provider, gateway_id):
        """The one answer to every status report that is not proven authentic."""
        _logger.warning("%s snail mail status report for gateway %s refused: not authentic", provider, gateway_id)
        return self._json_answer({"error": "forbidden"}, 403)

    @staticmethod
    def _json_answer(data, status):
        return request.make_response(json.dumps(data), headers=[("Content-Type", "application/json")], status=status)
