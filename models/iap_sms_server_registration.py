# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta

import psycopg2

from odoo import api, fields, models

from ..tools.gateway_errors import log_details
from ..tools.sms_numbers import format_e164

_logger = logging.getLogger(__name__)

CODE_VALIDITY = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
# Codes sent to an account within CODE_WINDOW, at most.
MAX_CODES = 3
CODE_WINDOW = timedelta(hours=1)
# The rule of the stock sender name wizard (`sms.account.sender`), on the whole name.
SENDER_NAME_RE = re.compile(r"[a-zA-Z0-9\- ]{3,11}")


class IapSmsServerRegistration(models.Model):
    """Server mode: the stock registration of a client's SMS account, as the stock wizards
    drive it (`sms.account.phone`, `sms.account.code`, `sms.account.sender`): a code sent by
    SMS to the client's phone, the code typed back, then a sender name.

    The answers are the stock ``{"state": ...}`` of those wizards (``success`` or one of the
    keys of `sms.tools.sms_api.ERROR_MESSAGES`). Only the digest of a code is kept, and the
    code's SMS is not kept in the outbox: it is a secret of the client.
    """

    _name = "iap.sms.server.registration"
    _description = "SMS Account Registration of a Client"

    account_id = fields.Many2one("iap.account", required=True, readonly=True, index=True, ondelete="cascade")
    phone_number = fields.Char(readonly=True)
    code_digest = fields.Char(readonly=True, groups="base.group_system")
    code_expiry = fields.Datetime(readonly=True)
    attempt_count = fields.Integer(readonly=True, help="Wrong codes typed since the last code was sent.")
    code_dates = fields.Json(readonly=True, help="When the codes of the last hour were sent.")
    # Not the stock `iap.account.state`: this addon shows every local account as registered.
    verified = fields.Boolean(readonly=True, help="The client typed back a code sent to its phone.")

    _account_uniq = models.Constraint("UNIQUE(account_id)", "An account has one registration.")

    @api.model
    def _for_account(self, account):
        registration = self.sudo().search([("account_id", "=", account.id)], limit=1)
        return registration or self.sudo().create({"account_id": account.id})

    def _digest(self, code):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret", "")
        return hmac.new(secret.encode(), f"{self.account_id.id}:{code}".encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------
    # ROUTES — `/api/sms/1/account/create`, `/api/sms/2/account/verify`, `.../update_sender`
    # ------------------------------------------------------------

    @api.model
    def _send_code(self, account, phone_number):
        """Send a verification code to ``phone_number``, free, through the account's gateway.

        :return: a stock state: ``success``, ``banned_account``, ``invalid_phone_number``,
            ``verification_sms_delivery`` (too many codes lately, or not delivered)
        """
        if account.state == "banned":
            return "banned_account"
        number = format_e164(phone_number, account.client_partner_id.country_id.code)
        if not number:
            return "invalid_phone_number"
        registration = self._for_account(account)
        now = fields.Datetime.now()
        recent = [
            date for date in registration.code_dates or [] if fields.Datetime.to_datetime(date) > now - CODE_WINDOW
        ]
        if len(recent) >= MAX_CODES or not account.sms_gateway_id:
            return "verification_sms_delivery"
        code = f"{secrets.randbelow(10**6):06d}"
        body = self.env._("Your verification code: %(code)s", code=code)
        if not self._deliver(account, number, body):
            return "verification_sms_delivery"
        registration.write(
            {
                "phone_number": number,
                "code_digest": registration._digest(code),
                "code_expiry": now + CODE_VALIDITY,
                "attempt_count": 0,
                "code_dates": [*recent, fields.Datetime.to_string(now)],
            }
        )
        return "success"

    @api.model
    def _deliver(self, account, number, body):
        """The code's SMS, through the dispatch layer at no charge; whether the gateway accepted it."""
        gateway = account.sms_gateway_id
        item = {"uuid": secrets.token_hex(16), "number": number, "body": body}
        try:
            result = self.env["iap.credit.dispatch"]._dispatch(
                account,
                [item],
                lambda _item: 0.0,
                gateway._sms_send,
                self.env._("SMS account verification code (free)"),
            )
        except psycopg2.Error:
            raise
        except Exception as error:  # the gateway's failure: the client is told to retry
            _logger.warning("Verification SMS of %s not sent: %s", account.display_name, log_details(error))
            return False
        return bool(result.outcomes and result.outcomes[0].get("success"))

    @api.model
    def _verify_code(self, account, code):
        """Check the code typed back; the account's registration is verified when it is right.

        :return: a stock state: ``success``, ``invalid_code``, ``too_many_attempts``
        """
        registration = self.sudo().search([("account_id", "=", account.id)], limit=1)
        if not registration.code_digest or registration.code_expiry < fields.Datetime.now():
            return "invalid_code"
        if registration.attempt_count >= MAX_CODE_ATTEMPTS:
            return "too_many_attempts"
        if not hmac.compare_digest(registration._digest(code).encode(), registration.code_digest.encode()):
            registration.attempt_count += 1
            return "invalid_code"
        registration.write({"code_digest": False, "code_expiry": False, "attempt_count": 0, "verified": True})
        return "success"

    @api.model
    def _set_sender_name(self, account, sender_name):
        """Set the sender name of a registered account, once.

        :return: a stock state: ``success``, ``unregistered_account``, ``format_error``,
            ``existing_sender``
        """
        if not self.sudo().search_count([("account_id", "=", account.id), ("verified", "=", True)], limit=1):
            return "unregistered_account"
        if not SENDER_NAME_RE.fullmatch(sender_name):
            return "format_error"
        if account.sender_name and account.sender_name != sender_name:
            return "existing_sender"
        account.sudo().sender_name = sender_name
        return "success"
