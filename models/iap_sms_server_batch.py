# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapSmsBatch(models.Model):
    """Server mode: where the delivery reports of a client's batch go."""

    _inherit = "iap.sms.batch"

    server_webhook_url = fields.Char(
        string="Client Webhook",
        readonly=True,
        groups="base.group_system",
        help="The client database's stock /sms/status route, to which the delivery reports of the "
        "batch's SMS are pushed (server mode).",
    )
