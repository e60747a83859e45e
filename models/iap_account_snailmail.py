# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models

SNAILMAIL_SERVICE = "snailmail"


class IapAccount(models.Model):
    """Snail mail settings of a local credit account: the provider that posts its letters."""

    _inherit = "iap.account"

    snailmail_gateway_id = fields.Many2one(
        "iap.snailmail.gateway",
        string="Snail Mail Provider",
        ondelete="restrict",
        tracking=True,
        help="How the letters paid with this account's local credits are printed and posted.",
    )
    # The service's prices, shown and (by administrators, who may write services) set here:
    # stock has no menu for IAP services. They are the same for every account of the service.
    snailmail_letter_price = fields.Float(
        related="service_id.credit_unit_price",
        readonly=False,
        string="Credits per Letter",
        help="Credits charged for a one-page letter (the service's Credits per Unit), for every account "
        "of the service.",
    )
    snailmail_page_price = fields.Float(related="service_id.snailmail_page_price", readonly=False)
    snailmail_color_price = fields.Float(related="service_id.snailmail_color_price", readonly=False)
    snailmail_rate_count = fields.Integer(compute="_compute_snailmail_rate_count", string="Rates per Country")
    snailmail_post_count = fields.Integer(compute="_compute_snailmail_post_count", string="Letters Posted")

    @api.model
    def _get_local_engine_fields(self):
        """Override of `iap_credits`: snail mail has local engines, its providers (the catalog)."""
        return super()._get_local_engine_fields() | {SNAILMAIL_SERVICE: "snailmail_gateway_id"}

    @api.model
    def _get_routing_fields(self):
        """Override of `iap_credits`: the provider decides where the account's letters go."""
        return super()._get_routing_fields() | {"snailmail_gateway_id"}

    @api.depends("service_name")
    def _compute_snailmail_post_count(self):
        counts = dict(
            self.env["iap.snailmail.post"]._read_group(
                [("account_id", "in", self.ids), ("state", "!=", "error")], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.snailmail_post_count = counts.get(account, 0)

    @api.depends("service_id")
    def _compute_snailmail_rate_count(self):
        counts = dict(
            self.env["iap.snailmail.rate"]
            .sudo()
            ._read_group([("service_id", "in", self.service_id.ids)], ["service_id"], ["__count"])
        )
        for account in self:
            account.snailmail_rate_count = counts.get(account.service_id, 0)

    def action_open_snailmail_rates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_snailmail_rate_action")
        action["domain"] = [("service_id", "=", self.service_id.id)]
        action["context"] = {"default_service_id": self.service_id.id}
        return action

    def action_open_snailmail_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_snailmail_post_action")
        action["domain"] = [("account_id", "=", self.id)]
        return action
