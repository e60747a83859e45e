# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from odoo import fields, models

from ..tools import gateway_errors

_logger = logging.getLogger(__name__)
# The SDK logs every request's URL at INFO, and Twilio's URLs name the account SID: our own
# log lines (redacted) say what a log may show.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

TWILIO_API_URL = "https://api.twilio.com"
# Twilio error codes (https://www.twilio.com/docs/errors) as stock SMS API states.
TWILIO_CODE_TO_STATE = {
    21211: "wrong_number_format",  # invalid 'To' number
    21265: "wrong_number_format",  # 'To' number cannot be a short code
    21614: "wrong_number_format",  # 'To' number is not a valid mobile number
    21604: "sms_number_missing",  # a 'To' number is required
    20003: "unregistered",  # authentication failed
    21608: "unregistered",  # unverified number on a trial account
    21612: "country_not_supported",  # cannot route to this number
    21408: "country_not_supported",  # permission to send to this region not enabled
}
TWILIO_SUCCESS_STATES = {"accepted", "queued", "sending", "sent", "scheduled", "delivered"}


class IapSmsGateway(models.Model):
    """Twilio provider, through the official `twilio` client library."""

    _inherit = "iap.sms.gateway"

    code = fields.Selection(selection_add=[("twilio", "Twilio")], ondelete={"twilio": "set default"})
    twilio_account_sid = fields.Char(
        string="Twilio Account SID", groups="base.group_system", help="Starts with AC; see the Twilio console."
    )
    twilio_auth_token = fields.Char(groups="base.group_system", help="The auth token of the Twilio account.")
    twilio_from_number = fields.Char(
        groups="base.group_system",
        help="The Twilio number (E.164) or alphanumeric sender ID the SMS are sent from.",
    )
    twilio_api_url = fields.Char(
        string="Twilio API URL",
        default=TWILIO_API_URL,
        groups="base.group_system",
        help="Base URL of Twilio's REST API; change it only for a proxy or a test server.",
    )

    # ------------------------------------------------------------
    # PROVIDER HOOKS
    # ------------------------------------------------------------

    def _sms_send(self, items):
        """Override of `iap_credits` to send each SMS through Twilio's Messages API.

        When Twilio cannot be reached (timeout, connection refused) the SMS not yet
        sent fail at once, rather than each waiting for its own timeout.
        """
        if self.code != "twilio":
            return super()._sms_send(items)
        client = self._twilio_client()
        outcomes = []
        for index, item in enumerate(items):
            try:
                outcomes.append(self._twilio_send_one(client, item))
            except requests.exceptions.RequestException as error:
                # Its text quotes the URL, with the account SID: redacted in the log, not shown.
                self._gateway_log_failure(error, self.sudo().twilio_api_url or TWILIO_API_URL)
                reason = self._gateway_failure_reason(error, self.timeout)
                outcomes += self._sms_failure(items[index:], "server_error", reason)
                break
        return outcomes

    # ------------------------------------------------------------
    # TWILIO
    # ------------------------------------------------------------

    def _gateway_secret_fields(self):
        """Override of `iap.gateway.request.mixin`: Twilio's credentials."""
        return super()._gateway_secret_fields() | {"twilio_account_sid", "twilio_auth_token"}

    def _twilio_client(self):
        """The `twilio` REST client of this gateway, with its timeout and API URL."""
        self.ensure_one()
        gateway = self.sudo()
        client = Client(
            gateway.twilio_account_sid,
            gateway.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=self.timeout),
        )
        client.api.base_url = gateway.twilio_api_url or TWILIO_API_URL
        return client

    def _twilio_send_one(self, client, item):
        """Send one SMS; a refusal or an unreadable answer of Twilio is a failed outcome.

        :raise requests.exceptions.RequestException: when Twilio cannot be reached
        """
        gateway = self.sudo()
        try:
            message = client.messages.create(
                to=item["number"],
                from_=gateway.twilio_from_number,
                body=item["body"],
                status_callback=self._sms_status_url(f"/iap_credits/sms/twilio/status/{self.id}/{item['uuid']}"),
            )
        except (TwilioRestException, TwilioServiceException) as error:
            state = TWILIO_CODE_TO_STATE.get(error.code, "server_error")
            # Twilio's message may quote the resource's URL, with the account SID: redacted.
            message = gateway_errors.redact(
                getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", "")
            )
            server_error = (error.status or 0) >= 500
            _logger.log(
                logging.WARNING if server_error else logging.INFO,
                "Twilio refused SMS %s: HTTP %s, code %s: %s",
                item["uuid"],
                error.status,
                error.code,
                message,
            )
            if server_error:
                reason = self.env._(
                    "The SMS gateway %(name)s answered with an error (HTTP %(status)s).",
                    name=self.name,
                    status=error.status,
                )
            else:
                reason = self.env._(
                    "Twilio refused the SMS (HTTP %(status)s, error %(code)s): %(message)s",
                    status=error.status,
                    code=error.code or "-",
                    message=message,
                )
            return {"success": False, "state": state, "failure_reason": reason}
        except (ValueError, KeyError, TypeError) as error:
            _logger.warning("Twilio gave an unreadable answer for SMS %s: %s", item["uuid"], error)
            return {
                "success": False,
                "state": "server_error",
                "failure_reason": self.env._("The SMS gateway %(name)s answered something unreadable.", name=self.name),
            }
        if not message.sid or message.status not in TWILIO_SUCCESS_STATES:
            _logger.warning("Twilio answered SMS %s without id or with status %s", item["uuid"], message.status)
            return {
                "success": False,
                "state": "server_error",
                "failure_reason": self.env._(
                    "Twilio gave an unexpected answer (status %(status)s).", status=message.status
                ),
            }
        state = "delivered" if message.status == "delivered" else "success"
        return {"success": True, "state": state, "provider_ref": message.sid}

    def _twilio_check_signature(self, url, params, signature):
        """Whether a delivery report was signed by Twilio with this gateway's auth token."""
        self.ensure_one()
        token = self.sudo().twilio_auth_token
        return bool(token and signature) and RequestValidator(token).validate(url, params, signature)
