# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models


class IapSmsRate(models.Model):
    """Credits per SMS segment for the destinations starting with a prefix.

    The longest matching prefix wins; destinations matching none pay the service's
    ``credit_unit_price``.
    """

    _name = "iap.sms.rate"
    _description = "SMS Rate per Destination"
    _order = "prefix"

    service_id = fields.Many2one(
        "iap.service",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.ref("sms.iap_service_sms", raise_if_not_found=False),
    )
    country_id = fields.Many2one("res.country", help="Fills the prefix with the country's calling code.")
    prefix = fields.Char(
        compute="_compute_prefix",
        store=True,
        readonly=False,
        required=True,
        help="Destinations (E.164) starting with this prefix use this rate, e.g. +32 or +3247.",
    )
    credit_price = fields.Float(
        string="Credits per Segment", digits="IAP Credits", required=True, help="Credits charged per SMS segment."
    )

    _prefix_unique = models.Constraint("UNIQUE(service_id, prefix)", "There is already a rate for this prefix.")
    _prefix_format = models.Constraint(
        "CHECK(prefix ~ '^\\+[0-9]{1,15}$')", "A prefix is a + followed by digits, e.g. +32."
    )
    _credit_price_positive = models.Constraint(
        "CHECK(credit_price >= 0)", "The credits per segment cannot be negative."
    )

    @api.depends("country_id")
    def _compute_prefix(self):
        for rate in self:
            if rate.country_id.phone_code:
                rate.prefix = f"+{rate.country_id.phone_code}"
