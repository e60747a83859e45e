# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The HTTP calls to gateways and their failures, told without their secrets.

The text of a `requests` exception holds the URL that was called, query string
included (``Max retries exceeded with url: /send?key=...``, ``500 Server Error for
url: https://...``): gateways often carry an API key there, and Twilio's URLs carry the
account SID. Users get a clear reason chosen by the kind of failure (see
:func:`request_error_kind`); logs get the details through :func:`redact`, and the
requests themselves through :func:`masked`.
"""

import re
from urllib.parse import urlsplit, urlunsplit

import requests

TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
HTTP_ERROR = "http_error"
UNREADABLE = "unreadable"

# Twilio account (AC…) and API key (SK…) SIDs, which name the account in its URLs.
TWILIO_SID_RE = re.compile(r"\b(AC|SK)[0-9a-fA-F]{32}\b")
URL_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()]+")
REDACTED = "[redacted]"

# What a request log masks (see `masked`): the values of keys named like credentials, and
# long strings cut (documents in base64).
SECRET_KEY_RE = re.compile(r"auth|api[-_]?key|token|passw|secret|signature|credential|cookie", re.IGNORECASE)
MASK = "****"
MASK_MIN_LENGTH = 12
MAX_LOGGED_LENGTH = 200


def safe_url(url):
    """The URL without credentials, query string nor fragment: what a log may show.

    :param str url: any URL, even an invalid one
    :return: ``scheme://host[:port]/path``
    """
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return REDACTED
    netloc = f"{parts.hostname or ''}:{port}" if port else parts.hostname or ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text, urls=(), secrets=()):
    """``text`` with the query strings and credentials of ``urls``, any other URL's
    query string, Twilio SIDs and each of ``secrets`` taken out.

    :param str text: e.g. ``str(error)`` of a `requests` exception
    :param urls: the URLs that were called (as configured and as sent)
    :param secrets: other values that must never be shown (API keys, tokens)
    """
    text = str(text or "")
    for url in filter(None, urls):
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        text = text.replace(url, safe_url(url))
        for value in (parts.query, parts.fragment):
            if value:
                text = text.replace(f"?{value}", "").replace(f"#{value}", "").replace(value, REDACTED)
        for value in (parts.username, parts.password):
            if value:
                text = text.replace(value, REDACTED)
    text = URL_RE.sub(lambda match: safe_url(match.group(0)), text)
    for secret in filter(None, secrets):
        text = text.replace(secret, REDACTED)
    return TWILIO_SID_RE.sub(lambda match: f"{match.group(1)}{REDACTED}", text)


def mask(value, keep=4):
    """``value`` masked for a log: its last ``keep`` characters, when it is long enough
    that they tell which credential was used without helping to guess it.

    :param value: a secret (any value: it is made a string)
    :return: ``"****" + last characters``, or ``"****"`` for a short secret
    """
    text = str(value)
    return f"{MASK}{text[-keep:]}" if keep and len(text) >= MASK_MIN_LENGTH else MASK


def masked(value, secrets=(), max_length=MAX_LOGGED_LENGTH):
    """A copy of ``value`` (a payload, headers, parameters) that a log may show.

    The values of the keys named like credentials (:data:`SECRET_KEY_RE`: authorization,
    API keys, tokens, passwords, secrets, signatures) are masked by :func:`mask`, and so
    is each of ``secrets`` wherever it appears in a string; long strings (a document in
    base64) are cut.

    :param value: dicts, lists, tuples, strings, bytes, numbers, nested
    :param secrets: values that must never be shown (the family's secret fields)
    :param int max_length: strings longer than this are cut
    """
    secrets = sorted({str(secret) for secret in secrets if secret}, key=len, reverse=True)

    def walk(item, key=None):
        if key is not None and SECRET_KEY_RE.search(str(key)) and item not in (None, "", False):
            return mask(item)
        if isinstance(item, dict):
            return {name: walk(inner, name) for name, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return type(item)(walk(inner) for inner in item)
        if isinstance(item, bytes):
            return f"<{len(item)} bytes>"
        if isinstance(item, str):
            for secret in secrets:
                item = item.replace(secret, mask(secret))
            return item if len(item) <= max_length else f"{item[:max_length]}… <{len(item)} characters>"
        return item

    return walk(value)


def secret_values(value):
    """The values of the keys named like credentials in ``value`` (see :func:`masked`),
    to take out of texts that may quote them (a provider's answer, an exception).

    :param value: dicts, lists, tuples, nested
    :return: a list of strings
    """
    found = []

    def walk(item):
        if isinstance(item, dict):
            for name, inner in item.items():
                if SECRET_KEY_RE.search(str(name)) and isinstance(inner, str) and inner:
                    found.append(inner)
                else:
                    walk(inner)
        elif isinstance(item, (list, tuple)):
            for inner in item:
                walk(inner)

    walk(value)
    return found


def request_error_kind(error):
    """What went wrong with a gateway call, for the reason shown to users.

    :param Exception error: raised by `requests` (or by reading the answer as JSON)
    :return: :data:`TIMEOUT`, :data:`UNREACHABLE`, :data:`HTTP_ERROR` or :data:`UNREADABLE`
    """
    if isinstance(error, requests.exceptions.Timeout):
        return TIMEOUT
    if isinstance(error, requests.exceptions.HTTPError):
        return HTTP_ERROR
    # requests' JSONDecodeError is both a RequestException and a ValueError
    if isinstance(error, (ValueError, requests.exceptions.InvalidJSONError)):
        return UNREADABLE
    return UNREACHABLE


def request_urls(error, url=None):
    """The URLs a `requests` exception (or an answer, or an SDK's exception) may quote: the
    one configured and the one sent."""
    request = getattr(error, "request", None)
    # `str`: an SDK's request (httpx) has an URL object
    return tuple(str(value) for value in (url, getattr(request, "url", None)) if value)


def log_details(error, url=None, secrets=()):
    """One line for the server log: the kind of exception and its text, redacted.

    :param Exception error: the exception of the gateway call
    :param str url: the URL that was called
    :param secrets: values to take out besides the URLs' query strings and credentials
    """
    status = getattr(getattr(error, "response", None), "status_code", None)
    details = redact(str(error), urls=request_urls(error, url), secrets=secrets)
    prefix = f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")
    return f"{prefix} on {safe_url(url)}: {details}" if url else f"{prefix}: {details}"
