# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the account routes of the stock IAP client (`iap/models/iap_account.py`):
View My Services' balances, the credits of one service, the low-credit warning settings."""

from odoo.exceptions import AccessError
from odoo.http import Controller, request
from odoo.tools import float_round

from .protocol import IapProtocolError, iap_route

# The client asks for every account it shows in View My Services in one call.
MAX_ACCOUNTS_PER_CALL = 100
MAX_WARNING_EMAILS = 20


def _balance(account):
    digits = 0 if account.service_id.integer_balance else 4
    return float_round(account.credit_available, precision_digits=digits)


class IapServerAccountController(Controller):
    @iap_route("/iap/1/get-accounts-information")
    def iap_server_accounts_information(self, iap_accounts=None, dbuuid=None):
        """``{token: {balance, warning_threshold, registered}}`` for the caller's accounts.

        A token this server does not know is left out of the answer, as the stock client
        expects for an account it has not used yet (it keeps its own figures).
        """
        if not isinstance(iap_accounts, list) or len(iap_accounts) > MAX_ACCOUNTS_PER_CALL:
            raise IapProtocolError(
                request.env._("iap_accounts must be a list of at most %(count)s accounts.", count=MAX_ACCOUNTS_PER_CALL)
            )
        IapAccount = request.env["iap.account"]
        answer = {}
        for entry in iap_accounts:
            if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
                raise IapProtocolError(request.env._("Each account must have a token and a service."))
            try:
                with request.env.cr.savepoint():
                    account = IapAccount._server_account(entry["token"], entry.get("service"), dbuuid)
            except AccessError:
                if IapAccount._server_mode() == "off":
                    raise
                continue  # an account this server does not serve is only left out
            answer[entry["token"]] = {
                "balance": _balance(account),
                "warning_threshold": account.warning_threshold,
                "registered": "registered",
            }
        return answer

    @iap_route("/iap/1/balance")
    def iap_server_balance(self, account_token=None, service_name=None, dbuuid=None):
        """The credits the account can spend now (``InsufficientCreditError`` never applies)."""
        account = request.env["iap.account"]._server_account(account_token, service_name, dbuuid)
        return _balance(account)

    @iap_route("/iap/1/update-warning-email-alerts")
    def iap_server_update_warning(self, account_token=None, warning_threshold=None, warning_emails=None):
        """The client's *Email Alert Threshold* and recipients become the client account's
        low-credit warning: this server emails them when the account runs low."""
        if isinstance(warning_threshold, bool) or not isinstance(warning_threshold, (int, float)):
            raise IapProtocolError(request.env._("warning_threshold must be a number."))
        if warning_threshold < 0:
            raise IapProtocolError(request.env._("Please set a positive email alert threshold."))
        if not isinstance(warning_emails, list) or len(warning_emails) > MAX_WARNING_EMAILS:
            raise IapProtocolError(
                request.env._("warning_emails must be a list of at most %(count)s addresses.", count=MAX_WARNING_EMAILS)
            )
        emails = []
        for entry in warning_emails:
            email = entry.get("email") if isinstance(entry, dict) else None
            if not isinstance(email, str) or not email or len(email) > 254 or "," in email:
                raise IapProtocolError(request.env._("Each warning email must be an address."))
            emails.append(email.strip())
        # The stock client names no service here: its token is one account.
        account = request.env["iap.account"]._server_account(account_token, None)
        account.with_context(tracking_disable=True).write(
            {
                "warning_threshold": float(warning_threshold),
                "warning_enabled": bool(emails),
                "warning_email": ", ".join(emails) or False,
            }
        )
        return True
