# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import hmac
import json
import logging
import re

from odoo.http import Controller, request, route

from odoo.addons.sms.controllers.main import SmsController

_logger = logging.getLogger(__name__)

UUID_RE = re.compile(r"^[0-9a-f]{32}$")

# Delivery report statuses (of the stock IAP protocol and of the generic HTTP API):
# (state of the SMS, stock delivery error for failures).
REPORT_STATUSES = {
    "accepted": ("sent", None),
    "queued": ("sent", None),
    "sent": ("sent", None),
    "success": ("sent", None),
    "delivered": ("delivered", None),
    "failed": ("error", "not_delivered"),
    "undelivered": ("error", "not_delivered"),
    "not_delivered": ("error", "not_delivered"),
    "rejected": ("error", "rejected"),
    "expired": ("error", "expired"),
    "invalid_number": ("error", "invalid_destination"),
    "invalid_destination": ("error", "invalid_destination"),
    "not_allowed": ("error", "not_allowed"),
}
# Twilio message statuses (https://www.twilio.com/docs/messaging/api/message-resource).
TWILIO_STATUSES = {
    "accepted": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "failed": "error",
    "undelivered": "error",
}
TWILIO_ERROR_CODES = {
    "30003": "invalid_destination",
    "30005": "invalid_destination",
    "30004": "rejected",
    "30007": "rejected",
    "30006": "not_allowed",
    "30002": "expired",
}


class IapCreditsSmsController(SmsController):
    @route()
    def update_sms_status(self, message_statuses):
        """Override of `sms`: delivery reports of the stock protocol also update the SMS history."""
        result = super().update_sms_status(message_statuses)
        for status in message_statuses:
            state, provider_error = REPORT_STATUSES.get(status["sms_status"], ("error", status["sms_status"]))
            messages = request.env["iap.sms.message"].sudo().search([("uuid", "in", status["uuids"])])
            messages._update_delivery(state, provider_error=provider_error, notify=False)
        return result


class IapCreditsSmsStatusController(Controller):
    """Delivery reports of the SMS gateways: validate everything, always answer."""

    @route(
        "/iap_credits/sms/twilio/status/<int:gateway_id>/<string:uuid>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
    )
    def twilio_status(self, gateway_id, uuid, **post):
        status = post.get("MessageStatus") or post.get("SmsStatus")
        if not UUID_RE.match(uuid) or status not in TWILIO_STATUSES:
            _logger.warning("Twilio delivery report: bad uuid %r or status %r", uuid, status)
            return request.make_response("Bad parameters", status=400)
        gateway = request.env["iap.sms.gateway"].sudo().browse(gateway_id).exists()
        if not gateway or gateway.code != "twilio":
            return request.make_response("Unknown gateway", status=404)
        url = gateway._sms_status_url(f"/iap_credits/sms/twilio/status/{gateway_id}/{uuid}")
        signature = request.httprequest.headers.get("X-Twilio-Signature", "")
        if not gateway._twilio_check_signature(url, request.httprequest.form.to_dict(), signature):
            _logger.warning("Twilio delivery report for %s: invalid signature", uuid)
            return request.make_response("Invalid signature", status=403)
        messages = request.env["iap.sms.message"].sudo().search([("uuid", "=", uuid), ("gateway_id", "=", gateway.id)])
        state = TWILIO_STATUSES[status]
        provider_error = TWILIO_ERROR_CODES.get(post.get("ErrorCode") or "", "not_delivered")
        messages._update_delivery(state, provider_error=provider_error, failure_reason=post.get("ErrorMessage"))
        return request.make_response("OK" if messages else "Unknown SMS", status=200)

    @route("/iap_credits/sms/http/status/<int:gateway_id>", type="http", auth="public", methods=["POST"], csrf=False)
    def http_status(self, gateway_id, **_kwargs):
        gateway = request.env["iap.sms.gateway"].sudo().browse(gateway_id).exists()
        if not gateway or gateway.code != "http":
            return self._json_answer({"error": "unknown gateway"}, 404)
        token = request.httprequest.headers.get("X-IAP-Credits-Token", "")
        if not gateway.http_callback_token or not hmac.compare_digest(token, gateway.http_callback_token):
            _logger.warning("HTTP SMS gateway %s: delivery report with an invalid token", gateway.id)
            return self._json_answer({"error": "invalid token"}, 403)
        try:
            results = json.loads(request.httprequest.get_data(as_text=True) or "null")["results"]
            if not isinstance(results, list):
                raise TypeError(results)
            reports = [(str(r["id"]), str(r["status"]), r.get("error")) for r in results]
        except (ValueError, KeyError, TypeError):
            return self._json_answer({"error": 'expected {"results": [{"id", "status"}]}'}, 400)
        if any(not UUID_RE.match(uuid) or status not in REPORT_STATUSES for uuid, status, _error in reports):
            return self._json_answer({"error": "unknown id format or status"}, 400)
        updated = 0
        Message = request.env["iap.sms.message"].sudo()
        for uuid, status, error in reports:
            messages = Message.search([("uuid", "=", uuid), ("gateway_id", "=", gateway.id)])
            state, provider_error = REPORT_STATUSES[status]
            messages._update_delivery(state, provider_error=provider_error, failure_reason=error)
            updated += len(messages)
        return self._json_answer({"updated": updated}, 200)

    @staticmethod
    def _json_answer(data, status):
        return request.make_response(json.dumps(data), headers=[("Content-Type", "application/json")], status=status)
