# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models

AUTOCOMPLETE_SERVICE = "partner_autocomplete"


class IapAccount(models.Model):
    """Partner autocomplete settings of a local credit account: the engines that answer it."""

    _inherit = "iap.account"

    is_autocomplete_account = fields.Boolean(compute="_compute_is_autocomplete_account")
    autocomplete_engine_ids = fields.Many2many(
        "iap.autocomplete.engine",
        "iap_account_autocomplete_engine_rel",
        "account_id",
        "engine_id",
        string="Autocomplete Engines",
        help="Where the company suggestions and data of this account's partner autocomplete come from, "
        "asked in their order; the first engine that finds companies answers.",
    )

    @api.model
    def _get_local_engine_fields(self):
        """Override of `iap_credits`: partner autocomplete is answered by the account's engines."""
        return super()._get_local_engine_fields() | {AUTOCOMPLETE_SERVICE: "autocomplete_engine_ids"}

    @api.model
    def _get_routing_fields(self):
        """Override of `iap_credits`: the engines decide where autocomplete requests go."""
        return super()._get_routing_fields() | {"autocomplete_engine_ids"}

    @api.depends("service_id")
    def _compute_is_autocomplete_account(self):
        for account in self:
            account.is_autocomplete_account = account.service_id.technical_name == AUTOCOMPLETE_SERVICE

    def _autocomplete_engines(self, company=None):
        """The engines that answer this account's autocomplete for ``company``, in order.

        :return: `iap.autocomplete.engine` records, active, of ``company`` or shared
        """
        self.ensure_one()
        company = company or self.env.company
        return (
            self.sudo()
            .autocomplete_engine_ids.filtered(
                lambda engine: engine.active and (not engine.company_id or engine.company_id == company)
            )
            .sorted(lambda engine: (engine.sequence, engine.id))
        )
