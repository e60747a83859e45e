# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The client account a call of the service routes (autocomplete, snail mail) spends."""

from odoo.http import request


def client_account(service_name, account_token, dbuuid):
    """The client account of ``account_token`` for ``service_name`` (sudo), through the one
    entry point of server mode (`iap.account._server_account`: off, closed or open mode,
    registered or new clients), or an `AccessError` the protocol answers in the stock shape."""
    return request.env["iap.account"].sudo()._server_account(account_token, service_name, dbuuid)


def client_env(db_lang):
    """The environment of a client's call: in the client's language when this database
    has it installed (the reasons it answers are shown to the client's users)."""
    env = request.env
    if isinstance(db_lang, str) and db_lang in dict(env["res.lang"].get_installed()):
        return env(context=dict(env.context, lang=db_lang))
    return env
