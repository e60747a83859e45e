# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# Per-message statuses of the generic HTTP API, as stock SMS API states.
HTTP_STATUS_TO_STATE = {
    "accepted": "success",
    "queued": "success",
    "sent": "success",
    "delivered": "delivered",
    "invalid_number": "wrong_number_format",
    "rejected": "server_error",
    "failed": "server_error",
}
HTTP_SUCCESS_STATES = {"success", "delivered"}


class IapSmsGateway(models.Model):
    """Generic HTTP provider: any SMS API that takes a JSON batch.

    The gateway POSTs ``{"messages": [{"id", "to", "body"}], "status_url"}`` to the
    configured URL with the configured authentication header, and reads the answer
    ``{"results": [{"id", "status", "provider_id", "error"}]}``, one result per message;
    ``status`` is one of ``accepted``, ``queued``, ``sent``, ``delivered``,
    ``invalid_number``, ``rejected``, ``failed``. Delivery reports come back, in the same
    shape, to ``status_url`` with the header ``X-IAP-Credits-Token``.
    """

    _name = "iap.sms.gateway"
    _inherit = ["iap.sms.gateway", "iap.gateway.http.mixin"]

    code = fields.Selection(selection_add=[("http", "Generic HTTP (JSON)")], ondelete={"http": "set default"})
    http_url = fields.Char(help="The URL the batch of SMS is POSTed to as JSON.")
    http_callback_token = fields.Char(
        string="Delivery Report Token",
        help="The provider sends it in the X-IAP-Credits-Token header of its delivery reports.",
    )

    # ------------------------------------------------------------
    # PROVIDER HOOKS
    # ------------------------------------------------------------

    def _sms_send(self, items):
        """Override of `iap_credits` to POST the batch to the generic HTTP API."""
        if self.code != "http":
            return super()._sms_send(items)
        payload = {
            "messages": [{"id": item["uuid"], "to": item["number"], "body": item["body"]} for item in items],
            "status_url": self._sms_status_url(f"/iap_credits/sms/http/status/{self.id}"),
        }
        try:
            answer = self._http_make_request(payload)
            results = self._http_parse_results(answer)
        except UserError as error:
            return self._sms_failure(items, "server_error", str(error))
        outcomes = []
        for item in items:
            result = results.get(item["uuid"])
            if result is None:
                outcomes.append(
                    {
                        "success": False,
                        "state": "server_error",
                        "failure_reason": self.env._(
                            "The SMS gateway %(name)s did not answer about this SMS.", name=self.name
                        ),
                    }
                )
                continue
            state = HTTP_STATUS_TO_STATE.get(result.get("status"), "server_error")
            outcomes.append(
                {
                    "success": state in HTTP_SUCCESS_STATES,
                    "state": state,
                    "provider_ref": str(result.get("provider_id") or ""),
                    "failure_reason": False
                    if state in HTTP_SUCCESS_STATES
                    else (result.get("error") or result.get("status")),
                }
            )
        return outcomes

    # ------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------

    def _http_make_request(self, payload):
        """POST ``payload`` to the API and return its JSON answer.

        :raise UserError: with a translated message when the API is unreachable, too slow,
            answers an HTTP error or something that is not JSON
        """
        self.ensure_one()
        gateway = self.sudo()
        if not gateway.http_url:
            raise UserError(self.env._("The SMS gateway %(name)s has no API URL.", name=self.name))
        _response, answer = self._gateway_request("POST", gateway.http_url, json=payload, headers=self._http_headers())
        return answer

    def _http_parse_results(self, answer):
        """:return: ``{message id: result dict}`` from the API's answer
        :raise UserError: when the answer has not the expected shape
        """
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or not all(isinstance(r, dict) and r.get("id") for r in results):
            _logger.warning("SMS gateway %s: malformed answer: %r", self.name, answer)
            raise UserError(self.env._("The SMS gateway %(name)s gave a malformed answer.", name=self.name))
        return {str(result["id"]): result for result in results}
