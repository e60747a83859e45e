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
        """Override of `sms` so that the stock route, which anybody may call, only reports
        on SMS sent through Odoo's IAP.

        The SMS of local accounts have their own delivery reports, authenticated by their
        gateway (see :class:`IapCreditsSmsStatusController`); a report about them here can
        only be forged, so they are left out before the stock code sees the batch. The
        answer is the same either way, so that nobody learns which uuids are local.
        """
        for status in message_statuses:
            self._check_status_values(status["uuids"], status["sms_status"], message_statuses)
        local_uuids = (
            request.env["iap.sms.message"]
            .sudo()
            ._local_uuids([uuid for status in message_statuses for uuid in status["uuids"]])
        )
        if local_uuids:
            _logger.warning("SMS delivery report on /sms/status about %s local SMS: ignored", len(local_uuids))
            message_statuses = [
                {**status, "uuids": [uuid for uuid in status["uuids"] if uuid not in local_uuids]}
                for status in message_statuses
            ]
            message_statuses = [status for status in message_statuses if status["uuids"]]
            if not message_statuses:
                return "OK"
        return super().update_sms_status(message_statuses)


class IapCreditsSmsStatusController(Controller):
    """Delivery reports of the SMS gateways: validate everything, always answer.

    Until the request is proven to come from the gateway's provider, every refusal is
    the same 403 with the same body, whatever was wrong (unknown gateway, bad uuid,
    bad signature or token): a stranger learns nothing about what exists.
    """

    @route(
        "/iap_credits/sms/twilio/status/<int:gateway_id>/<string:uuid>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
    )
    def twilio_status(self, gateway_id, uuid, **_kwargs):
        """Twilio's status callback, signed with the gateway's auth token.

        Twilio signs the full URL it calls, query string included, followed by the sorted
        POST parameters; only that is checked, and only the signed POST parameters are read
        (``_kwargs`` also holds the query string's, which nobody signed).
        """
        gateway = request.env["iap.sms.gateway"].sudo().browse(gateway_id).exists()
        form = request.httprequest.form
        if not gateway or gateway.code != "twilio" or not UUID_RE.match(uuid):
            return self._forbidden("Twilio", gateway_id)
        url = gateway._sms_status_url(f"/iap_credits/sms/twilio/status/{gateway_id}/{uuid}")
        query_string = request.httprequest.query_string.decode("latin-1")
        if query_string:
            url = f"{url}?{query_string}"
        signature = request.httprequest.headers.get("X-Twilio-Signature", "")
        try:
            authentic = gateway._twilio_check_signature(url, form, signature)
        except (ValueError, TypeError, UnicodeError):  # whatever a stranger sends, a 403
            authentic = False
        if not authentic:
            return self._forbidden("Twilio", gateway_id)
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if status not in TWILIO_STATUSES:
            _logger.warning("Twilio delivery report for %s: unknown status %r", uuid, status)
            return request.make_response("Bad parameters", status=400)
        messages = request.env["iap.sms.message"].sudo().search([("uuid", "=", uuid), ("gateway_id", "=", gateway.id)])
        state = TWILIO_STATUSES[status]
        provider_error = TWILIO_ERROR_CODES.get(form.get("ErrorCode") or "", "not_delivered")
        messages._update_delivery(state, provider_error=provider_error, failure_reason=form.get("ErrorMessage"))
        return request.make_response("OK", status=200)

    @route("/iap_credits/sms/http/status/<int:gateway_id>", type="http", auth="public", methods=["POST"], csrf=False)
    def http_status(self, gateway_id, **_kwargs):
        gateway = request.env["iap.sms.gateway"].sudo().browse(gateway_id).exists()
        if not gateway or gateway.code != "http":
            return self._forbidden("HTTP", gateway_id, json_answer=True)
        token = request.httprequest.headers.get("X-IAP-Credits-Token", "")
        if not self._same_secret(token, gateway.http_callback_token):
            return self._forbidden("HTTP", gateway_id, json_answer=True)
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
    def _same_secret(given, expected):
        """Constant-time comparison of a secret sent in a header with the stored one.

        As bytes: `hmac.compare_digest` refuses (raises on) ``str`` with non-ASCII
        characters, which anybody can send in a header.
        """
        if not given or not expected:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))

    def _forbidden(self, provider, gateway_id, json_answer=False):
        """The one answer to every delivery report that is not proven authentic."""
        _logger.warning("%s SMS delivery report for gateway %s refused: not authentic", provider, gateway_id)
        if json_answer:
            return self._json_answer({"error": "forbidden"}, 403)
        return request.make_response("Forbidden", status=403)

    @staticmethod
    def _json_answer(data, status):
        return request.make_response(json.dumps(data), headers=[("Content-Type", "application/json")], status=status)
