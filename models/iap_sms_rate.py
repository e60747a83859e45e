# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.tools import ormcache


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

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # `_rates_of`
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()  # `_rates_of`
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # `_rates_of`
        return super().unlink()

    @api.model
    @ormcache("service_id")
    def _rates_of(self, service_id):
        """``{prefix: credits per segment}`` of the service ``service_id``.

        Asked for every batch of SMS, and rates seldom change: cached (stock `ormcache`),
        cleared whenever a rate is created, changed or deleted. Never modify the answer.
        """
        rates = self.sudo().search_fetch([("service_id", "=", service_id)], ["prefix", "credit_price"])
        return {rate.prefix: rate.credit_price for rate in rates}
