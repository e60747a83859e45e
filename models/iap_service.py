# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapService(models.Model):
    _inherit = "iap.service"

    credit_unit_price = fields.Float(
        string="Credits per Unit",
        digits="IAP Credits",
        default=1.0,
        help="Credits charged for one unit of work of this service in local mode "
        "(one SMS segment, one digitized document, ...).",
    )

    _credit_unit_price_positive = models.Constraint(
        "CHECK(credit_unit_price >= 0)",
        "The credits per unit of a service cannot be negative.",
    )
