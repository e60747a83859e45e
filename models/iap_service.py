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

    # ------------------------------------------------------------
    # SMS: rates per destination
    # ------------------------------------------------------------

    sms_rate_ids = fields.One2many(
        "iap.sms.rate",
        "service_id",
        string="Rates per Destination",
        help="Credits per SMS segment for destinations starting with a prefix; the others pay Credits per Unit.",
    )

    def _sms_country_rates(self):
        """:return: ``{prefix: credits per segment}`` of this service"""
        self.ensure_one()
        return {rate.prefix: rate.credit_price for rate in self.sudo().sms_rate_ids}
