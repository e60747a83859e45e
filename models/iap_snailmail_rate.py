# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapSnailmailRate(models.Model):
    """Credits for a letter posted to a country, instead of the service's default prices.

    Postage depends on the destination far more than printing does, so a country gets the
    three prices of a letter of its own: the letter (one page), each extra page and the
    colour surcharge per page. Destinations without a rate pay the service's prices
    (`iap.service._snailmail_letter_price` is the one place that applies them).
    """

    _name = "iap.snailmail.rate"
    _description = "Snail Mail Rate per Country"
    _order = "country_id"
    _rec_name = "country_id"

    service_id = fields.Many2one(
        "iap.service",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.ref("snailmail.iap_service_snailmail", raise_if_not_found=False),
    )
    country_id = fields.Many2one("res.country", string="Destination Country", required=True, ondelete="cascade")
    letter_price = fields.Float(
        string="Credits per Letter",
        digits="IAP Credits",
        required=True,
        help="Credits charged for a one-page letter to this country.",
    )
    page_price = fields.Float(
        string="Credits per Extra Page",
        digits="IAP Credits",
        required=True,
        default=0.0,
        help="Credits charged for each page beyond the first (cover page included) of a letter to this country.",
    )
    color_price = fields.Float(
        string="Colour Surcharge per Page",
        digits="IAP Credits",
        required=True,
        default=0.0,
        help="Credits added for each page of a letter printed in colour to this country.",
    )

    _country_unique = models.Constraint(
        "UNIQUE(service_id, country_id)", "There is already a snail mail rate for this country."
    )
    _prices_positive = models.Constraint(
        "CHECK(letter_price >= 0 AND page_price >= 0 AND color_price >= 0)",
        "The prices of a snail mail rate cannot be negative.",
    )
