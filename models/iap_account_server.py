# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the accounts other Odoo databases spend through the stock IAP protocol.

A client account is an ordinary local account of this database whose ``account_token``
is the token of the client database's own `iap.account`, owned by a customer
(``client_partner_id``). It is never the account of this database's own work.
"""

import hashlib
import hmac

from odoo import api, fields, models

SERVER_MODE_PARAM = "iap_credits.server_mode"
SERVER_MODES = ("off", "closed", "open")


def token_digest(token):
    """The SHA-256 of a token, by which client accounts are looked up: the index probe
    compares digests, and the token itself is then compared in constant time."""
    return hashlib.sha256((token or "").encode()).hexdigest()


class IapAccount(models.Model):
    _inherit = "iap.account"

    client_partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        index="btree_not_null",
        ondelete="restrict",
        tracking=True,
        help="The customer whose Odoo database spends this account's credits through this "
        "server (server mode). Empty for this database's own accounts.",
    )
    client_dbuuid = fields.Char(
        string="Client Database",
        readonly=True,
        copy=False,
        help="The database UUID the client sent with its first call.",
    )
    client_token_digest = fields.Char(
        compute="_compute_client_token_digest",
        store=True,
        index="btree_not_null",
        groups="base.group_system",
        copy=False,
    )

    @api.depends("account_token", "client_partner_id")
    def _compute_client_token_digest(self):
        for account in self:
            account.client_token_digest = (
                token_digest(account.account_token) if account.client_partner_id and account.account_token else False
            )

    @api.model
    def _get_routing_fields(self):
        """Override of `iap_credits`: who owns a client account decides who pays."""
        return super()._get_routing_fields() | {"client_partner_id"}

    @api.model
    def get(self, service_name, force_create=True):
        """Override of `iap`: this database's own work never pays with a client's account."""
        return super(IapAccount, self.with_context(iap_credits_own_accounts=True)).get(
            service_name, force_create=force_create
        )

    @api.model
    def _search(self, domain, *args, **kwargs):
        if self.env.context.get("iap_credits_own_accounts"):
            domain = [*domain, ("client_partner_id", "=", False)] if domain else [("client_partner_id", "=", False)]
        return super()._search(domain, *args, **kwargs)

    @api.model
    def _server_mode(self):
        """``off``, ``closed`` (registered clients only) or ``open`` (unknown tokens get an account)."""
        mode = self.env["ir.config_parameter"].sudo().get_param(SERVER_MODE_PARAM, "off")
        return mode if mode in SERVER_MODES else "off"

    @api.model
    def _server_find_client_account(self, account_token, service_name):
        """The client account of ``account_token`` for ``service_name`` (sudo), or an empty
        recordset. The token is compared in constant time, after an index probe on its digest."""
        if not isinstance(account_token, str) or not account_token or not isinstance(service_name, str):
            return self.browse()
        candidates = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("client_token_digest", "=", token_digest(account_token)),
                    ("service_name", "=", service_name),
                    ("credit_mode", "=", "local"),
                ],
                limit=1,
            )
        )
        if candidates and hmac.compare_digest(candidates.account_token.encode(), account_token.encode()):
            return candidates
        return self.browse()
