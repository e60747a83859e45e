# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The client account a call of the service routes (autocomplete, snail mail) spends."""

from odoo.http import request

from .protocol import ACCESS_ERROR, IapProtocolError


def client_account(service_name, account_token, dbuuid):
    """The client account of ``account_token`` for ``service_name`` (sudo), through the one
    entry point of server mode (`iap.account._server_account`: server mode, registered or
    open clients, rate limits), or :class:`IapProtocolError`."""
    accounts = request.env["iap.account"].sudo()
    if hasattr(accounts, "_server_account"):
        return accounts._server_account(account_token, service_name, dbuuid)
    # Until the server's settings exist: registered client accounts only.
    account = accounts._server_find_client_account(account_token, service_name)
    if not account:
        raise IapProtocolError(request.env._("This IAP account is not known to this server."), ACCESS_ERROR)
    return account


def client_env(db_lang):
    """The environment of a client's call: in the client's language when this database
    has it installed (the reasons it answers are shown to the client's users)."""
    env = request.env
    if isinstance(db_lang, str) and db_lang in dict(env["res.lang"].get_installed()):
        return env(context=dict(env.context, lang=db_lang))
    return env
