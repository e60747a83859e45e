# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the SMS routes of the stock client (`sms.tools.sms_api.SmsApi`).

Every parameter is checked before anything is done: a call of another shape is refused
whole, with the stock error and nothing sent nor charged. A well-formed batch is answered
number by number with the stock states, credit included (``insufficient_credit`` is the
state of each number, never an error of the call).
"""

import re
from urllib.parse import urlsplit

from odoo.http import Controller, request

from .protocol import IapProtocolError, iap_route

SERVICE_NAME = "sms"
# The stock client sends its queue by batches of `sms.session.batch.size` (500).
MAX_NUMBERS = 1000
MAX_CONTENT_LENGTH = 4000
MAX_NUMBER_LENGTH = 64
MAX_URL_LENGTH = 2048
MAX_TOKEN_LENGTH = 256
MAX_FIELD_LENGTH = 64
# The stock uuids (`uuid4().hex`), the only ones its `/sms/status` accepts back.
UUID_RE = re.compile(r"[0-9a-f]{32}")
SEND_MAX_BYTES = MAX_NUMBERS * (MAX_CONTENT_LENGTH + 200)


def _refuse(message):
    raise IapProtocolError(message)


def _check_string(value, name, max_length, required=True):
    """``value`` if it is a string of at most ``max_length`` characters (or, when not
    ``required``, empty), else a refusal naming the parameter."""
    if value in (None, False, "") and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_length:
        _refuse(
            request.env._(
                "The parameter %(name)s must be a text of 1 to %(max)s characters.", name=name, max=max_length
            )
        )
    return value


def _check_messages(messages):
    """The stock batch ``[{"content", "numbers": [{"uuid", "number"}]}]``, checked:
    types, lengths, count, uuids of the stock shape and each used once."""
    env = request.env
    if not isinstance(messages, list) or not messages:
        _refuse(env._("The parameter messages must be a list of messages."))
    checked, seen = [], set()
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("numbers"), list):
            _refuse(env._('Each message must be {"content": text, "numbers": [{"uuid", "number"}]}.'))
        content = message.get("content")
        if content in (None, False):
            content = ""
        if not isinstance(content, str) or len(content) > MAX_CONTENT_LENGTH:
            _refuse(env._("The content of an SMS must be a text of at most %s characters.", MAX_CONTENT_LENGTH))
        numbers = []
        for number in message["numbers"]:
            if not isinstance(number, dict):
                _refuse(env._('Each number must be {"uuid": text, "number": text}.'))
            uuid = number.get("uuid")
            if not isinstance(uuid, str) or not UUID_RE.fullmatch(uuid):
                _refuse(env._("Each SMS must have a uuid of 32 hexadecimal digits."))
            if uuid in seen:
                _refuse(env._("The uuid %s is used twice in the batch.", uuid))
            seen.add(uuid)
            if len(seen) > MAX_NUMBERS:
                _refuse(env._("A batch holds at most %s SMS.", MAX_NUMBERS))
            numbers.append(
                {"uuid": uuid, "number": _check_string(number.get("number"), "number", MAX_NUMBER_LENGTH, False)}
            )
        checked.append({"content": content, "numbers": numbers})
    if not seen:
        _refuse(env._("The batch holds no SMS."))
    return checked


def _check_webhook_url(url):
    """The client's delivery report route: an absolute ``http(s)`` URL, or nothing."""
    url = _check_string(url, "webhook_url", MAX_URL_LENGTH, required=False)
    if not url:
        return None
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(char.isspace() or ord(char) < 32 for char in url):
        _refuse(request.env._("The parameter webhook_url must be an http or https URL."))
    return url


class IapServerSmsController(Controller):
    @staticmethod
    def _client_account(account_token, dbuuid):
        """The client's SMS account (sudo): the one place the SMS routes authenticate
        (`iap.account._server_account` decides who may connect; AccessError otherwise)."""
        _check_string(account_token, "account_token", MAX_TOKEN_LENGTH)
        _check_string(dbuuid, "dbuuid", MAX_FIELD_LENGTH, required=False)
        return request.env["iap.account"]._server_account(account_token, SERVICE_NAME, dbuuid or None)

    @iap_route("/api/sms/3/send", max_bytes=SEND_MAX_BYTES)
    def send(self, messages=None, account_token=None, dbuuid=None, webhook_url=None):
        """Send a batch of SMS (`SmsApi._send_sms_batch`).

        :return: ``[{"uuid", "state", "credit", "failure_reason"}]``, one per number, in order
        """
        messages = _check_messages(messages)
        webhook_url = _check_webhook_url(webhook_url)
        account = self._client_account(account_token, dbuuid)
        return request.env["iap.sms.server"]._send_for_client(account, messages, webhook_url=webhook_url)

    @iap_route("/api/sms/1/account/create")
    def account_create(self, phone_number=None, account_token=None, dbuuid=None):
        """Send a verification code (`SmsApi._send_verification_sms`): ``{"state"}``."""
        phone_number = _check_string(phone_number, "phone_number", MAX_NUMBER_LENGTH)
        account = self._client_account(account_token, dbuuid)
        return {"state": request.env["iap.sms.server.registration"]._send_code(account, phone_number)}

    @iap_route("/api/sms/2/account/verify")
    def account_verify(self, code=None, account_token=None, dbuuid=None):
        """Check the verification code (`SmsApi._verify_account`): ``{"state"}``."""
        code = _check_string(code, "code", MAX_FIELD_LENGTH)
        account = self._client_account(account_token, dbuuid)
        return {"state": request.env["iap.sms.server.registration"]._verify_code(account, code.strip())}

    @iap_route("/api/sms/1/account/update_sender")
    def account_update_sender(self, sender_name=None, account_token=None, dbuuid=None):
        """Set the sender name (`SmsApi._set_sender_name`): ``{"state"}``."""
        sender_name = _check_string(sender_name, "sender_name", MAX_FIELD_LENGTH)
        account = self._client_account(account_token, dbuuid)
        return {"state": request.env["iap.sms.server.registration"]._set_sender_name(account, sender_name)}
