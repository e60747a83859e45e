# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the client accounts' Buy Credit page (`/iap/1/credit`).

The stock client (`iap.account.get_credits_url`) opens this server's page with the SHA-1
of its token (the part before ``+``), never the token itself: that hash finds the
client account. The pages that follow carry HMAC tokens of this database instead
(`_iap_credits_client_token`), each bound to what it allows.
"""

import hmac
import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hmac as odoo_hmac

_CLIENT_TOKEN_SCOPE = "iap_credits.client_credit"
_SHA1_HEX = re.compile(r"[0-9a-f]{40}")


class IapAccount(models.Model):
    _inherit = "iap.account"

    client_token_hash = fields.Char(
        compute="_compute_client_token_hash",
        store=True,
        index="btree_not_null",
        groups="base.group_system",
        copy=False,
        help="The SHA-1 of the client's token (before any '+'), by which the client's Buy Credit "
        "link finds this account.",
    )

    @api.depends("account_token", "client_partner_id")
    def _compute_client_token_hash(self):
        for account in self:
            account.client_token_hash = account.client_partner_id and self._client_link_hash(account.account_token)

    @api.model
    def _client_link_hash(self, token):
        """The hash the stock client puts in its Buy Credit link: stock's own
        `_hash_iap_token`, so that both sides hash alike; False without a token."""
        try:
            return self._hash_iap_token(token)
        except UserError:  # stock refuses an empty token
            return False

    @api.model
    def _server_find_client_account_by_hash(self, hashed_token, service_name):
        """The client account whose Buy Credit link carries ``hashed_token`` for ``service_name``
        (sudo), or an empty recordset: for a malformed hash, an unknown one, another service, an
        account that is not local, or a hash two accounts share (the link cannot tell them apart).
        """
        if not isinstance(hashed_token, str) or not isinstance(service_name, str) or len(service_name) > 64:
            return self.browse()
        hashed_token = hashed_token.lower()
        if not _SHA1_HEX.fullmatch(hashed_token):
            return self.browse()
        candidates = self.sudo().search(
            [
                ("client_token_hash", "=", hashed_token),
                ("client_partner_id", "!=", False),
                ("service_name", "=", service_name),
                ("credit_mode", "=", "local"),
            ],
            limit=2,
        )
        if len(candidates) != 1:
            return self.browse()
        # The index found the row; the hash of the token itself decides, in constant time.
        if not hmac.compare_digest(
            (self._client_link_hash(candidates.account_token) or "").encode(), hashed_token.encode()
        ):
            return self.browse()
        return candidates

    def _iap_credits_client_token(self, purpose, *values):
        """An HMAC (database secret) naming this client account, its current token and ``values``.

        The pages after `/iap/1/credit` carry it instead of the link's hash: each token allows
        one ``purpose`` only, and changing the account's token invalidates them all.
        """
        self.ensure_one()
        account = self.sudo()
        message = "|".join(str(value) for value in (purpose, account.id, account.client_token_hash, *values))
        return odoo_hmac(self.env(su=True), _CLIENT_TOKEN_SCOPE, message)

    def _iap_credits_client_token_valid(self, token, purpose, *values):
        self.ensure_one()
        return (
            isinstance(token, str)
            and bool(self.sudo().client_token_hash)
            and hmac.compare_digest(token.encode(), self._iap_credits_client_token(purpose, *values).encode())
        )

    def _iap_credits_client_company(self):
        """The company that sells credits to this client account: the account's first one, or
        the company of the public pages."""
        self.ensure_one()
        return self.company_ids.sorted("id")[:1] or self.env.company
