# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: a customer's client accounts on the contact form."""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    iap_client_account_ids = fields.One2many(
        "iap.account",
        "client_partner_id",
        string="IAP Client Accounts",
        groups="iap_credits.group_iap_credits_manager",
        help="The accounts this customer's Odoo databases spend through this server (server mode).",
    )
    iap_client_account_count = fields.Integer(
        compute="_compute_iap_client_accounts",
        groups="iap_credits.group_iap_credits_manager",
    )
    iap_client_credits = fields.Float(
        string="Client Credits",
        digits="IAP Credits",
        compute="_compute_iap_client_accounts",
        groups="iap_credits.group_iap_credits_manager",
    )

    def _compute_iap_client_accounts(self):
        groups = (
            self.env["iap.account"]
            .sudo()
            ._read_group(
                [("client_partner_id", "in", self.ids)],
                ["client_partner_id"],
                ["__count", "credit_available:sum"],
            )
        )
        figures = {partner.id: (count, credits) for partner, count, credits in groups}
        for partner in self:
            partner.iap_client_account_count, partner.iap_client_credits = figures.get(partner.id, (0, 0.0))

    def action_open_iap_client_accounts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_account_client_action")
        action["domain"] = [("client_partner_id", "=", self.id)]
        action["context"] = {"default_client_partner_id": self.id, "default_credit_mode": "local"}
        return action
