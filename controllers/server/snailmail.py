# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: snail mail for client databases (`/iap/snailmail/1/print`).

The stock client (`snailmail/models/snailmail_letter.py`, `_snailmail_create('print')`)
sends ``account_token``, ``dbuuid``, ``documents`` (one per letter: ``letter_id``,
``res_model``, ``res_id``, ``contact_address``, ``address``, ``return_address``,
``company_logo``, ``pdf_bin`` in base64, optionally ``rightaddress``), ``options``
(``color``, ``cover``, ``duplex``, ``currency_name``) and ``batch``; it reads
``request_code`` and, per document, ``letter_id``, ``sent``, ``send_id`` and ``error``.
"""

from odoo import http
from odoo.http import request

from .client_account import client_account
from .protocol import IapProtocolError, iap_route

SERVICE = "snailmail"
# Letters are PDFs in base64: a call may carry a few of them.
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_DOCUMENTS = 50


class IapServerSnailmail(http.Controller):
    @iap_route("/iap/snailmail/1/print", max_bytes=MAX_BODY_BYTES)
    def print_letters(
        self, account_token=None, dbuuid=None, documents=None, options=None, batch=True, webhook_url=None
    ):
        """Post the client's letters, each on its own; a call whose shape is not the stock
        one is refused as a whole, before anything is charged. ``batch`` is accepted: the
        answer is always per document (the stock client always sends ``True``)."""
        account = client_account(SERVICE, account_token, dbuuid)
        env = request.env
        if options is None:
            options = {}
        if not isinstance(documents, list) or not isinstance(options, dict):
            raise IapProtocolError(env._("The letters to post must be a list of documents and their options."))
        if not 0 < len(documents) <= MAX_DOCUMENTS:
            raise IapProtocolError(env._("A call posts 1 to %(max)s letters.", max=MAX_DOCUMENTS))
        letter_ids = [document.get("letter_id") if isinstance(document, dict) else None for document in documents]
        if not all(
            isinstance(letter_id, int) and not isinstance(letter_id, bool) and 0 < letter_id < 2**31
            for letter_id in letter_ids
        ):
            raise IapProtocolError(env._("Each document must have the id of its letter."))
        if len(set(letter_ids)) != len(letter_ids):
            raise IapProtocolError(env._("Each letter can be posted once per call."))
        return env["iap.snailmail.post"].sudo()._server_print(account, documents, options)
