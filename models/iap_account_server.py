# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: the accounts other Odoo databases spend through the stock IAP protocol.

A client account is an ordinary local account of this database whose ``account_token``
is the token of the client database's own `iap.account`, owned by a customer
(``client_partner_id``). It is never the account of this database's own work.
"""

import hashlib
import hmac

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import float_round

SERVER_MODE_PARAM = "iap_credits.server_mode"
SERVER_MODES = ("off", "closed", "open")
TRIAL_CREDITS_PARAM = "iap_credits.server_trial_credits"
RATE_LIMIT_PARAM = "iap_credits.server_rate_limit"
DEFAULT_RATE_LIMIT = 6000  # calls per minute and token, in each worker process


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
    def _server_find_client_account(self, account_token, service_name=None):
        """The client account of ``account_token`` (for ``service_name``, when given) in sudo,
        or an empty recordset. The token is compared in constant time, after an index probe
        on its digest; a token is one account (stock clients give each service its own)."""
        if not isinstance(account_token, str) or not account_token or len(account_token) > 128:
            return self.sudo().browse()
        if service_name is not None and not isinstance(service_name, str):
            return self.sudo().browse()
        domain = [("client_token_digest", "=", token_digest(account_token)), ("credit_mode", "=", "local")]
        if service_name is not None:
            domain.append(("service_name", "=", service_name))
        account = self.sudo().with_context(active_test=False).search(domain, limit=1)
        if account and hmac.compare_digest(account.account_token.encode(), account_token.encode()):
            return account
        return self.sudo().browse()

    @api.model
    def _server_account(self, account_token, service_name, dbuuid=None):
        """The client account that pays for a call of the stock IAP protocol, in sudo.

        The one decision of who may connect: in ``closed`` mode, only accounts an
        administrator registered; in ``open`` mode, an unknown token of a service this
        database serves locally gets an account (owned by a contact of its database, with
        the trial credits, if any); when server mode is ``off``, nobody.

        :raise AccessError: the call is refused (the protocol answers it in the stock shape)
        """
        mode = self._server_mode()
        if mode == "off":
            raise AccessError(self.env._("This database does not serve IAP clients."))
        account = self._server_find_client_account(account_token, service_name)
        if not account and mode == "open" and isinstance(account_token, str) and account_token:
            account = self._server_open_account(account_token, service_name, dbuuid)
        if not account:
            raise AccessError(self.env._("This IAP account is not registered on this server."))
        if isinstance(dbuuid, str) and dbuuid and not account.client_dbuuid:
            account.client_dbuuid = dbuuid[:64]
        return account

    @api.model
    def _server_open_account(self, account_token, service_name, dbuuid):
        """Open mode: a new client account for an unknown token, in sudo (or empty when
        ``service_name`` is not served locally)."""
        if not isinstance(service_name, str) or len(account_token) > 64:
            return self.sudo().browse()
        service = self.env["iap.service"].sudo().search([("technical_name", "=", service_name)], limit=1)
        if not service or not service.has_local_engine:
            return self.sudo().browse()
        dbuuid = dbuuid[:64] if isinstance(dbuuid, str) and dbuuid else False
        partner = self._server_client_partner(dbuuid)
        account = (
            self.sudo()
            .with_context(tracking_disable=True)
            .create(
                {
                    "service_id": service.id,
                    "credit_mode": "local",
                    "account_token": account_token,
                    "client_partner_id": partner.id,
                    "client_dbuuid": dbuuid,
                    "company_ids": [(6, 0, self.env.company.ids)],
                }
            )
        )
        trial = float_round(
            float(self.env["ir.config_parameter"].sudo().get_param(TRIAL_CREDITS_PARAM) or 0), precision_digits=4
        )
        if trial > 0:
            account._credits_grant(trial, self.env._("Trial credits of a new client database"))
        return account

    @api.model
    def _server_client_partner(self, dbuuid):
        """The contact owning the accounts of an unknown database (open mode): one per database."""
        Partner = self.env["res.partner"].sudo()
        if dbuuid:
            known = self.sudo().search([("client_dbuuid", "=", dbuuid), ("client_partner_id", "!=", False)], limit=1)
            if known:
                return known.client_partner_id
        name = self.env._("Odoo database %(uuid)s", uuid=dbuuid or "?")
        return Partner.create({"name": name, "is_company": True})
