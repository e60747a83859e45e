# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import base64

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import digitization, gateway_errors

HTTP_TIMEOUT = 60


class IapAccount(models.Model):
    """Gateway `http`: an external extraction API, speaking JSON.

    Request: ``POST <url>`` with ``Authorization: Bearer <api key>`` and the JSON body
    ``{"document_type", "filename", "mimetype", "document" (base64), "exclude_vats"}``.
    Answer: ``{"status": "success", "fields": {...}}`` with the fields of
    :mod:`..tools.digitization` (dates as ISO strings), or ``{"status": "unreadable",
    "error": "..."}``. Any other answer or HTTP error is a gateway failure, never charged.
    """

    _name = "iap.account"
    # The request helper of the gateways: timeout, masked logs, translated errors.
    _inherit = ["iap.account", "iap.gateway.request.mixin"]

    digitization_gateway = fields.Selection(
        selection_add=[("http", "HTTP extraction API")], ondelete={"http": "set default"}
    )
    digitization_http_url = fields.Char(
        string="Extraction API URL",
        # Where the documents and the API key go: administrators only, like the key (and not
        # copied, so that a credit manager can still duplicate an account).
        groups="base.group_system",
        copy=False,
        help="The endpoint that receives the documents (POST, JSON).",
    )
    digitization_http_api_key = fields.Char(
        string="Extraction API Key",
        groups="base.group_system",
        copy=False,
        help="Sent as a Bearer token to the extraction API.",
    )

    def _digitization_extract(self, document):
        """Override of the base hook: send the document to the HTTP extraction API."""
        if self.digitization_gateway != "http":
            return super()._digitization_extract(document)
        return self._http_digitization_extract(document)

    def _http_digitization_extract(self, document):
        answer = self._http_digitization_request(
            {
                "document_type": document.get("document_type") or "invoice",
                "filename": document.get("name"),
                "mimetype": document.get("mimetype"),
                "document": base64.b64encode(document["data"]).decode(),
                "exclude_vats": list(document.get("exclude_vats") or ()),
            }
        )
        status = answer.get("status")
        values = answer.get("fields") or {}
        if status == "success" and isinstance(values, dict):
            success = digitization.is_successful(document.get("document_type") or "invoice", values)
            if success:
                return {"success": True, "fields": values}
        if status in ("success", "unreadable"):
            return {
                "success": False,
                "error_code": "unreadable",
                # Else the record says what it looked for (`_digitization_unreadable_message`).
                "error": answer.get("error") or False,
                "fields": {},
            }
        raise UserError(self.env._("The extraction API answered with an unknown status: %(status)s", status=status))

    def _http_digitization_request(self, payload):
        """POST ``payload`` to the extraction API: time-out, HTTP errors, then a translated error."""
        self.ensure_one()
        url = self.sudo().digitization_http_url
        if not url:
            raise UserError(self.env._("Set the Extraction API URL of %(account)s.", account=self.display_name))
        headers = {}
        api_key = self.sudo().digitization_http_api_key
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        _response, answer = self._gateway_request("POST", url, json=payload, headers=headers)
        if not isinstance(answer, dict):
            raise UserError(self.env._("The extraction API did not answer with a JSON object."))
        return answer

    def _gateway_timeout(self):
        """Override of `iap.gateway.request.mixin`: an extraction takes longer than a gateway call."""
        return HTTP_TIMEOUT

    def _gateway_secret_fields(self):
        """Override of `iap.gateway.request.mixin`: the key of the extraction API."""
        return super()._gateway_secret_fields() | {"digitization_http_api_key"}

    def _gateway_failure_reason(self, error, timeout):
        """Override of `iap.gateway.request.mixin`: the reasons of the extraction API."""
        return self._http_digitization_failure_reason(error)

    def _http_digitization_failure_reason(self, error):
        """The reason shown on the bill when the extraction API call failed, by kind of
        failure: never the exception's text, which quotes the URL and its query string."""
        kind = gateway_errors.request_error_kind(error)
        if kind == gateway_errors.TIMEOUT:
            return self.env._(
                "The extraction API did not answer in time (timeout: %(timeout)s s).", timeout=HTTP_TIMEOUT
            )
        if kind == gateway_errors.HTTP_ERROR:
            return self.env._(
                "The extraction API answered with an error (HTTP %(status)s).",
                status=getattr(error.response, "status_code", "?"),
            )
        if kind == gateway_errors.UNREADABLE:
            return self.env._("The extraction API answered something unreadable.")
        return self.env._("The extraction API could not be reached.")
