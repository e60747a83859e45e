# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)


class IapAccount(models.Model):
    """The service catalog: which IAP services this database runs with a local engine.

    Only those services can have accounts in *Local credits* mode and credit packs; the
    accounts of every other service stay in *Odoo IAP* mode, with the stock behaviour
    (their calls go to Odoo's servers, their balance and buy link are Odoo's). Without
    the catalog, an account of a service nothing here intercepts (lead generation, snail
    mail, ...) would show a local balance and sell local credits that no code can spend,
    while its calls still went to Odoo.

    A local engine joins the catalog with one override of :meth:`_get_local_engine_fields`
    in its own file, next to the field that holds the engine of an account.
    """

    _inherit = "iap.account"

    service_has_local_engine = fields.Boolean(
        related="service_id.has_local_engine",
        string="Local Engine Available",
    )
    engine_display = fields.Char(
        string="Runs On",
        compute="_compute_engine_display",
        help="Where this account's work is done: Odoo IAP (Odoo's servers, the stock behaviour), "
        "or Local with the engine or gateway of this database that does it.",
    )

    # ------------------------------------------------------------
    # CATALOG
    # ------------------------------------------------------------

    @api.model
    def _get_local_engine_fields(self):
        """The service catalog: the IAP services this database has a local engine for.

        Each local engine adds its service with an override in its own file, e.g.
        ``return super()._get_local_engine_fields() | {"sms": "sms_gateway_id"}``. The
        field holds the engine (a selection), gateway (a many2one) or engines (a many2many,
        in their order) an account of the service uses; it names them in View My Services.

        :return: ``{service technical name: name of the iap.account field of its engine}``
        :rtype: dict
        """
        return {}

    @api.depends(lambda self: ["credit_mode", "service_id", *self._get_local_engine_fields().values()])
    def _compute_engine_display(self):
        engine_fields = self._get_local_engine_fields()
        for account in self:
            field_name = engine_fields.get(account.service_id.technical_name)
            if account.credit_mode != "local" or not field_name:
                account.engine_display = self.env._("Odoo IAP")
                continue
            account.engine_display = self.env._(
                "Local · %(engine)s", engine=account._engine_name(field_name) or self.env._("no engine set")
            )

    def _engine_name(self, field_name):
        """The name of the engine held by ``field_name``, in the user's language.

        Read as superuser: the name of a gateway is no secret, and a user who sees the
        account may not be allowed to read the gateway's record itself.
        """
        self.ensure_one()
        field = self._fields[field_name]
        value = self.sudo()[field_name]
        if field.type == "many2one":
            return value.display_name
        if field.type == "many2many":  # engines asked in their order
            return ", ".join(value.mapped("display_name"))
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value)
        return value and str(value)

    @api.constrains("credit_mode", "service_id")
    def _check_credit_mode_catalog(self):
        local_services = self._get_local_engine_fields()
        wrong = self.filtered(lambda a: a.credit_mode == "local" and a.service_id.technical_name not in local_services)
        if wrong:
            raise ValidationError(
                self.env._(
                    "%(services)s cannot use local credits: this database has no local engine for it, "
                    "its accounts (%(accounts)s) can only use Odoo IAP. "
                    "Services with a local engine: %(local)s.",
                    services=", ".join(sorted(set(wrong.service_id.mapped("name")))),
                    # the stock names an account after its service once created
                    accounts=", ".join(account.name or account.service_id.name for account in wrong),
                    local=", ".join(self.env["iap.service"].search([("has_local_engine", "=", True)]).mapped("name"))
                    or self.env._("none"),
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `iap` to create the accounts of services without a local engine in
        *Odoo IAP* mode, whatever the default mode of new accounts is: the stock `get`
        creates an account on the first use of any service."""
        local_services = self._get_local_engine_fields()
        service_ids = {vals.get("service_id") for vals in vals_list if "credit_mode" not in vals}
        names = {service.id: service.technical_name for service in self.env["iap.service"].browse(service_ids - {None})}
        for vals in vals_list:
            if "credit_mode" not in vals and names.get(vals.get("service_id")) not in local_services:
                vals["credit_mode"] = "odoo"
        return super().create(vals_list)

    # ------------------------------------------------------------
    # MIGRATION
    # ------------------------------------------------------------

    @api.model
    def _catalog_apply(self):
        """Bring the accounts and packs of an existing database in line with the catalog.

        Local accounts of services without a local engine are switched to *Odoo IAP*
        (their stock state and balance are fetched from Odoo again); the credits left in
        their ledger stay there, untouched and noted in their chatter, since ledger rows
        are never changed. Their packs stop being sold: deleted, or archived when a
        payment refers to them.

        Run by the migration to 19.0.1.1.0; safe to run again (it changes nothing then).

        :return: ``(accounts switched, packs archived, packs deleted)``
        """
        local_services = list(self._get_local_engine_fields())
        accounts = self.sudo().search(
            [("credit_mode", "=", "local"), ("service_id.technical_name", "not in", local_services)]
        )
        for account in accounts:
            note = self.env._(
                "%(service)s has no local engine in this database: this account now uses Odoo IAP.",
                service=account.service_id.name,
            )
            if account.credit_balance or account.credit_reserved:
                note += " " + self.env._(
                    "Its local credits (%(balance)s) stay in its ledger.",
                    balance=account._format_credits(account.credit_balance),
                )
            account.message_post(body=note)
            _logger.warning("IAP account %s (%s) switched to Odoo IAP: %s", account.id, account.service_name, note)
        # `disable_iap_update`: the switch changes nothing on Odoo's server.
        accounts.with_context(disable_iap_update=True).write({"credit_mode": "odoo", "state": False, "balance": False})
        Pack = self.env["iap.credit.pack"].sudo().with_context(active_test=False)
        packs = Pack.search([("active", "=", True), ("service_id.technical_name", "not in", local_services)])
        sold = (
            self.env["payment.transaction"].sudo().search([("iap_credit_pack_id", "in", packs.ids)]).iap_credit_pack_id
        )
        sold.write({"active": False})
        (packs - sold).unlink()
        return accounts, sold, packs - sold
