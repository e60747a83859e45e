# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import contextlib
import json as jsonlib
import logging

import requests

from odoo import models
from odoo.exceptions import UserError

from ..tools import gateway_errors

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10
# Answers read from a provider are capped: an API's answer or a company's web page is a few
# kilobytes, and a provider that sends more is not read to the end.
MAX_ANSWER_BYTES = 2_000_000
CHUNK_BYTES = 64 * 1024


class GatewayRequestError(UserError):
    """A call to a provider failed: the family's translated reason, and what went wrong.

    :ivar str kind: one of the kinds of :mod:`..tools.gateway_errors` (``timeout``,
        ``unreachable``, ``http_error``, ``unreadable``)
    :ivar status: the HTTP status of an ``http_error``, else None
    """

    def __init__(self, message, kind, status=None):
        super().__init__(message)
        self.kind = kind
        self.status = status


class IapGatewayRequestMixin(models.AbstractModel):
    """One request helper for every model that calls a provider over HTTP: the SMS and
    snail mail gateways and the autocomplete engines (through `iap.gateway.mixin`), the
    extraction API of the digitization accounts (`iap.account`).

    :meth:`_gateway_request` does what `payment.provider._send_api_request` does for the
    payment providers: it applies the record's timeout, logs the request and the answer
    with their secrets masked, and turns timeouts, connection errors, HTTP errors and
    unreadable answers into the family's translated error. A family extends its hooks:

    - :meth:`_gateway_timeout`: how long to wait;
    - :meth:`_gateway_logger`: where the requests are logged (at debug) and their failures
      (at warning);
    - :meth:`_gateway_secret_fields`: the fields whose values a log never shows;
    - :meth:`_gateway_failure_reason`: what users read when a call failed.

    Providers called through an SDK (Twilio, PostGrid) keep their SDK; they log their
    failures through :meth:`_gateway_log_failure` and :meth:`_gateway_secret_values`.
    """

    _name = "iap.gateway.request.mixin"
    _description = "IAP Gateway Request Mixin"

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    def _gateway_timeout(self):
        """Seconds to wait for the provider's answer; override it to read the record's."""
        return DEFAULT_TIMEOUT

    def _gateway_secret_fields(self):
        """The fields whose values must never reach a log (API keys, tokens, passwords).
        Extended by each provider with its own secret fields.

        :return: a set of field names
        """
        return set()

    def _gateway_logger(self):
        """The logger of the requests and their failures: the family's own, so that its log
        level and handlers apply (``--log-handler=odoo.addons.iap_credits.models.<family>:DEBUG``
        shows its requests, secrets masked)."""
        return _logger

    def _gateway_failure_reason(self, error, timeout):
        """The translated reason shown to users when a call to the provider failed, by kind
        of failure: never the exception's text, which quotes the URL and its query string.
        Overridden by each family with its own words.

        :param Exception error: raised by `requests`, or by reading the answer
        :param timeout: the seconds that were waited
        """
        name = self.display_name
        kind = gateway_errors.request_error_kind(error)
        if kind == gateway_errors.TIMEOUT:
            return self.env._("%(name)s did not answer in time (timeout: %(timeout)s s).", name=name, timeout=timeout)
        if kind == gateway_errors.HTTP_ERROR:
            return self.env._(
                "%(name)s answered with an error (HTTP %(status)s).",
                name=name,
                status=getattr(error.response, "status_code", "?"),
            )
        if kind == gateway_errors.UNREADABLE:
            return self.env._("%(name)s answered something unreadable.", name=name)
        return self.env._("%(name)s could not be reached.", name=name)

    # ------------------------------------------------------------
    # REQUEST
    # ------------------------------------------------------------

    def _gateway_request(
        self,
        method,
        url,
        *,
        params=None,
        json=None,
        data=None,
        files=None,
        headers=None,
        auth=None,
        timeout=None,
        accept_status=(),
        answer="json",
        max_bytes=MAX_ANSWER_BYTES,
        **kwargs,
    ):
        """Call the provider: timeout, masked log, then the answer or a translated error.

        :param str method: ``GET``, ``POST``…
        :param str url: the URL called (a log shows it without query string nor credentials)
        :param params: the query string parameters
        :param json: the body, sent as JSON
        :param data: the body, form-encoded or raw
        :param files: the files of a multipart body
        :param dict headers: the request's headers
        :param auth: a ``(user, password)`` pair for HTTP basic authentication
        :param timeout: seconds to wait, if less than :meth:`_gateway_timeout`
        :param accept_status: HTTP error statuses (a collection, or a predicate) returned
            as they are rather than raised: answers the family reads itself (a provider's
            "not found", its refusal of a letter)
        :param str answer: ``json`` to read the answer as JSON (an unreadable one is an
            error, but the answer of an accepted error status is then None), ``content``
            for its bytes
        :param int max_bytes: how much of the answer to read at most
        :param kwargs: passed to `requests.request` (``allow_redirects``)
        :return: ``(response, answer)``
        :raise GatewayRequestError: with :meth:`_gateway_failure_reason`, when the provider
            is unreachable, too slow, answers an HTTP error, too much, or not JSON
        """
        self.ensure_one()
        timeout = min(timeout or self._gateway_timeout(), self._gateway_timeout())
        payload = json if json is not None else data
        secrets = self._gateway_request_secrets(headers, auth, params, payload)
        self._gateway_log_request(method, url, params, payload, headers, auth, files, secrets, timeout)
        response = None
        try:
            with requests.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=headers,
                auth=auth,
                timeout=timeout,
                stream=True,
                **kwargs,
            ) as response:
                content = b""
                for chunk in response.iter_content(CHUNK_BYTES):
                    content += chunk
                    if len(content) > max_bytes:
                        raise ValueError(f"answer larger than {max_bytes} bytes")
                # What was read stays readable (`response.json()`, `.text`) once the stream is closed.
                response._content = content
            self._gateway_log_response(response, url, secrets)
            status = response.status_code
            accepted = status < 400 or (accept_status(status) if callable(accept_status) else status in accept_status)
            if not accepted:
                response.raise_for_status()
            if answer == "content":
                return response, content
            try:
                return response, jsonlib.loads(content)
            except ValueError:
                if status >= 400:
                    return response, None  # an accepted error status whose text the family reads
                raise
        except (requests.exceptions.RequestException, ValueError) as error:
            self._gateway_log_failure(error, url, response, secrets)
            kind = gateway_errors.request_error_kind(error)
            status = getattr(error.response, "status_code", None) if kind == gateway_errors.HTTP_ERROR else None
            # `from None`: the exception's text quotes the URL and its query string, and the
            # callers log the tracebacks of what they catch.
            raise GatewayRequestError(self._gateway_failure_reason(error, timeout), kind, status) from None

    # ------------------------------------------------------------
    # LOGS — secrets masked
    # ------------------------------------------------------------

    def _gateway_secret_values(self):
        """The values of :meth:`_gateway_secret_fields` of this record, to mask in logs."""
        record = self.sudo()
        return [record[name] for name in self._gateway_secret_fields() if record[name]]

    def _gateway_request_secrets(self, headers=None, auth=None, params=None, payload=None):
        """The secrets of one request: the family's, and the credentials it carries (the
        values of the headers and of the parameters or payload keys named like
        credentials, the password of ``auth``), to take out of the answer and errors too."""
        secrets = self._gateway_secret_values()
        secrets += gateway_errors.secret_values([headers or {}, params or {}, payload or {}])
        if isinstance(auth, (tuple, list)) and len(auth) == 2 and auth[1]:
            secrets.append(auth[1])
        return [str(secret) for secret in secrets]

    def _gateway_log_name(self):
        return f"{self._description} {self.display_name}"

    def _gateway_log_request(self, method, url, params, payload, headers, auth, files, secrets, timeout):
        logger = self._gateway_logger()
        if not logger.isEnabledFor(logging.DEBUG):
            return
        mask = gateway_errors.masked
        logger.debug(
            "%s: %s %s (timeout %s s); headers: %r; params: %r; payload: %r%s%s",
            self._gateway_log_name(),
            method,
            gateway_errors.safe_url(url),
            timeout,
            mask(headers or {}, secrets),
            mask(params, secrets),
            mask(payload, secrets),
            f"; auth: {auth[0]!r}:{gateway_errors.mask(auth[1])}" if isinstance(auth, (tuple, list)) else "",
            f"; files: {sorted(files)!r}" if isinstance(files, dict) else "",
        )

    def _gateway_log_response(self, response, url, secrets):
        logger = self._gateway_logger()
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "%s: HTTP %s from %s: %r",
            self._gateway_log_name(),
            response.status_code,
            gateway_errors.safe_url(url),
            self._gateway_log_text(response, url, secrets),
        )

    def _gateway_log_failure(self, error, url=None, response=None, secrets=None):
        """Log a failed call at warning: the kind of failure and the start of the answer,
        without the URL's query string, credentials nor any secret of the record.

        :param Exception error: raised by `requests`, an SDK, or by reading the answer
        :param str url: the URL called
        :param response: the `requests` answer, when there was one
        :param secrets: the request's secrets, else the record's
        """
        secrets = self._gateway_secret_values() if secrets is None else secrets
        self._gateway_logger().warning(
            "%s failed: %s; answer: %r",
            self._gateway_log_name(),
            gateway_errors.log_details(error, url, secrets=secrets),
            self._gateway_log_text(response, url, secrets),
        )

    def _gateway_log_text(self, response, url, secrets):
        """The start of an answer's text, masked as the requests are (providers echo URLs,
        keys and tokens)."""
        if response is None or not isinstance(response._content, bytes):
            return ""
        text = response.text
        # A JSON answer is masked as the requests are; any text then redacted.
        with contextlib.suppress(ValueError):
            text = jsonlib.dumps(gateway_errors.masked(jsonlib.loads(text), secrets), ensure_ascii=False)
        text = gateway_errors.redact(text, gateway_errors.request_urls(response, url), secrets)
        return text[: gateway_errors.MAX_LOGGED_LENGTH]
