# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    iap_sms_count = fields.Integer(
        compute="_compute_iap_sms_stats", string="SMS", groups="iap_credits.group_iap_credits_user"
    )
    iap_sms_credits = fields.Float(
        compute="_compute_iap_sms_stats",
        string="SMS Credits",
        digits="IAP Credits",
        groups="iap_credits.group_iap_credits_user",
        help="Credits spent on the SMS sent to this contact with local credits.",
    )

    @api.depends_context("uid")
    def _compute_iap_sms_stats(self):
        # Record rules decide which SMS a user sees: the figures depend on the user.
        stats = {
            partner.id: (count, credits)
            for partner, count, credits in self.env["iap.sms.message"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count", "credits:sum"]
            )
        }
        for partner in self:
            partner.iap_sms_count, partner.iap_sms_credits = stats.get(partner.id, (0, 0.0))

    def action_open_iap_sms_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("iap_credits.iap_sms_message_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
