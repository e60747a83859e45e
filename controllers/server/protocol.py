# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The encoding of the stock IAP client protocol, shared by every server-mode route.

Odoo's IAP clients (`iap.tools.iap_tools.iap_jsonrpc`, `sms.tools.sms_api`, …) POST a
JSON-RPC 2.0 request whose ``params`` are keyword arguments, and read either ``result``
or ``error.data``: the last dotted part of ``error.data.name`` is the exception class
they raise again (``InsufficientCreditError`` keeps ``error.data``; any other name
becomes the client's generic "error while reaching the server").

The routes are plain ``http`` routes rather than ``jsonrpc`` ones: Odoo's JSON-RPC
dispatcher puts the server's traceback in ``error.data.debug`` and reads bodies of any
size; here the body is bounded before it is parsed, every error has the stock shape
without a traceback, and a refused call rolls back whatever it did.
"""

import functools
import hashlib
import inspect
import json
import logging
import threading
import time

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ...models.iap_account_server import DEFAULT_RATE_LIMIT, RATE_LIMIT_PARAM

_logger = logging.getLogger(__name__)

INSUFFICIENT_CREDIT = "odoo.addons.iap.tools.iap_tools.InsufficientCreditError"
# Any other refusal: the stock client logs it and shows its generic message.
SERVER_ERROR = "odoo.addons.iap.tools.iap_tools.IAPServerError"
ACCESS_ERROR = "odoo.exceptions.AccessError"
# Bodies above this are refused before they are read (a route may allow more, e.g. PDFs).
DEFAULT_MAX_BYTES = 1024 * 1024


class IapProtocolError(Exception):
    """A refusal the stock client understands.

    :param str message: shown (or logged) by the client; translated by the caller
    :param str name: the dotted exception name the client decodes
    :param dict data: extra keys of ``error.data`` (e.g. the credit facts)
    """

    def __init__(self, message, name=SERVER_ERROR, data=None):
        super().__init__(message)
        self.message = message
        self.name = name
        self.data = data or {}


def insufficient_credit(error):
    """The protocol error of the ledger's ``InsufficientCreditError`` (its ``data``:
    ``service_name``, ``credit``, ``needed``), with the stock keys of ``error.data``."""
    data = dict(getattr(error, "data", None) or {})
    data.setdefault("base_url", request.httprequest.host_url.rstrip("/"))
    return IapProtocolError(str(error.args[0] if error.args else error), INSUFFICIENT_CREDIT, data)


class _RateLimiter:
    """Calls per token in the current minute, in this worker process.

    Kept in memory: a limit that costs no query and no lock per call. With N workers
    a token may make up to N times the limit; the bound stops one runaway client from
    filling the queues, which is all it is for. Tokens are kept as digests.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._minute = None
        self._counts = {}

    def allow(self, token, limit):
        key = hashlib.sha256(token.encode()).digest()[:16]
        minute = int(time.monotonic() // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._counts = minute, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= limit


_rate_limiter = _RateLimiter()


def _check_rate(params):
    token = params.get("account_token")
    if not isinstance(token, str) or not token:
        return
    try:
        limit = int(request.env["ir.config_parameter"].sudo().get_param(RATE_LIMIT_PARAM) or DEFAULT_RATE_LIMIT)
    except ValueError:
        limit = DEFAULT_RATE_LIMIT
    if limit > 0 and not _rate_limiter.allow(token, limit):
        raise IapProtocolError(
            request.env._("Too many calls for this account: at most %(limit)s a minute. Try again later.", limit=limit)
        )


def _response(request_id, result=None, error=None):
    body = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        body["result"] = result
    else:
        data = {
            **error.data,
            "name": error.name,
            "message": error.message,
            "arguments": [error.message],
            "context": {},
        }
        body["error"] = {"code": 200, "message": "Odoo Server Error", "data": data}
    return request.make_json_response(body)


def _read_call(max_bytes):
    """The ``(id, params)`` of the request, or :class:`IapProtocolError`."""
    httprequest = request.httprequest
    httprequest.max_content_length = max_bytes
    try:
        raw = httprequest.get_data(cache=False)
    except RequestEntityTooLarge as error:
        raise IapProtocolError(request.env._("The request is larger than %(size)s bytes.", size=max_bytes)) from error
    if len(raw) > max_bytes:  # a body sent without Content-Length
        raise IapProtocolError(request.env._("The request is larger than %(size)s bytes.", size=max_bytes))
    try:
        call = json.loads(raw)
    except ValueError as error:
        raise IapProtocolError(request.env._("The request is not JSON.")) from error
    if not isinstance(call, dict) or call.get("jsonrpc") != "2.0":
        raise IapProtocolError(request.env._("The request is not a JSON-RPC 2.0 call."))
    params = call.get("params") or {}
    if not isinstance(params, dict):
        raise IapProtocolError(request.env._("The parameters of the call must be named."))
    request_id = call.get("id")
    if not isinstance(request_id, (str, int, type(None))):
        request_id = None
    return request_id, params


def iap_route(route, max_bytes=DEFAULT_MAX_BYTES):
    """Decorate a controller method as a route of the stock IAP protocol.

    The method receives the call's ``params`` as keyword arguments (an unexpected or
    missing one is a refusal, not a traceback) and returns the ``result``. It raises
    :class:`IapProtocolError` to refuse; the ledger's ``InsufficientCreditError``
    becomes the stock credit error. Whatever the call wrote is rolled back when it is
    refused; database concurrency errors go up to Odoo, which retries the request.
    """

    def decorate(method):
        signature = inspect.signature(method)

        @http.route(route, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
        @functools.wraps(method)
        def serve(self, **_query):
            request_id = None
            try:
                request_id, params = _read_call(max_bytes)
                _check_rate(params)
                try:
                    signature.bind(self, **params)
                except TypeError as error:
                    # A stranger's call, or a client of another version: the message names
                    # the route, the log the parameter.
                    _logger.info("IAP server: %s refused: %s", route, error)
                    raise IapProtocolError(
                        request.env._("The parameters of the call are not those of %s.", route)
                    ) from error
                return _response(request_id, method(self, **params))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except IapProtocolError as error:
                refusal = error
            except InsufficientCreditError as error:
                refusal = insufficient_credit(error)
            except UserError as error:
                # Refusals of the models (AccessError, ValidationError, …): already translated.
                refusal = IapProtocolError(error.args[0], f"odoo.exceptions.{type(error).__name__}")
            except Exception:
                _logger.exception("IAP server: %s failed", route)
                refusal = IapProtocolError(request.env._("The IAP server could not answer this call."))
            request.env.cr.rollback()
            return _response(request_id, error=refusal)

        return serve

    return decorate
