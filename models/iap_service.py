# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.tools import float_round
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# The units of the stock services, translated by this addon: the stock modules translate
# them each in their own words (zh_CN: 信用 in `sms`, where this addon says 点数), and the
# unit must read the same on every page of this addon.
STOCK_UNIT_LABELS = {
    "Credits": _lt("Credits"),
    "Enrichments": _lt("Enrichments"),
    "Stamps": _lt("Stamps"),
}


class IapService(models.Model):
    _inherit = "iap.service"

    credit_unit_price = fields.Float(
        string="Credits per Unit",
        digits="IAP Credits",
        default=1.0,
        help="Credits charged for one unit of work of this service in local mode "
        "(one SMS segment, one digitized document, ...).",
    )

    has_local_engine = fields.Boolean(
        string="Local Engine",
        compute="_compute_has_local_engine",
        search="_search_has_local_engine",
        help="Whether this database has a local engine for the service (see the service catalog, "
        "`iap.account._get_local_engine_fields`): only then can its accounts use local credits and "
        "its credit packs be sold.",
    )

    _credit_unit_price_positive = models.Constraint(
        "CHECK(credit_unit_price >= 0)",
        "The credits per unit of a service cannot be negative.",
    )

    @api.depends("technical_name")
    def _compute_has_local_engine(self):
        local_services = self.env["iap.account"]._get_local_engine_fields()
        for service in self:
            service.has_local_engine = service.technical_name in local_services

    def _search_has_local_engine(self, operator, value):
        if operator != "in":
            return NotImplemented
        return [("technical_name", "in", list(self.env["iap.account"]._get_local_engine_fields()))]

    def _get_unit_label(self):
        """The unit of this service's credits in the current language, e.g. "Credits".

        The stock units get this addon's translation; any other unit its own (``unit_name``
        is translatable). Without a service, the generic word for credits.

        :return: str
        """
        if not self:
            return self.env._("credits")
        self.ensure_one()
        label = STOCK_UNIT_LABELS.get(self.with_context(lang="en_US").unit_name)
        return self.env._(label) if label else self.unit_name or self.env._("credits")

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
        return self.env["iap.sms.rate"]._rates_of(self.id)

    # ------------------------------------------------------------
    # SNAIL MAIL: price of a letter
    # ------------------------------------------------------------

    snailmail_page_price = fields.Float(
        string="Credits per Extra Page",
        digits="IAP Credits",
        default=0.0,
        help="Snail mail: credits charged for each page of a letter beyond the first, on top of Credits per "
        "Unit (the price of a one-page letter). Pages are those of the document as posted: the cover page "
        "and the blank back of a two-sided cover included. Countries with a rate of their own use theirs.",
    )
    snailmail_color_price = fields.Float(
        string="Colour Surcharge per Page",
        digits="IAP Credits",
        default=0.0,
        help="Snail mail: credits added for each page of a letter printed in colour (the company's "
        "Snailmail colour setting). Countries with a rate of their own use theirs.",
    )
    snailmail_rate_ids = fields.One2many(
        "iap.snailmail.rate",
        "service_id",
        string="Snail Mail Rates per Country",
        help="Prices of the letters posted to a country; the other countries pay the service's prices.",
    )

    _snailmail_page_price_positive = models.Constraint(
        "CHECK(snailmail_page_price >= 0)",
        "The credits per extra page of a service cannot be negative.",
    )
    _snailmail_color_price_positive = models.Constraint(
        "CHECK(snailmail_color_price >= 0)",
        "The colour surcharge per page of a service cannot be negative.",
    )

    def _snailmail_letter_price(self, pages, color=False, country=None):
        """The one place that prices a letter posted with local credits.

        A letter costs the price of a one-page letter, plus a price for each page beyond
        the first, plus a colour surcharge for each page when it is printed in colour. The
        prices are those of the destination country's rate (`iap.snailmail.rate`) when it
        has one, else the service's: Credits per Unit, Credits per Extra Page and Colour
        Surcharge per Page. The pages are those of the PDF as it is posted: the stock cover
        page (and the blank page stock adds behind it when the letter is printed on both
        sides) count, since the provider prints them.

        :param int pages: pages of the letter's final PDF (at least 1)
        :param bool color: the letter is printed in colour
        :param country: the destination `res.country` (empty or None: the service's prices)
        :return: credits
        """
        self.ensure_one()
        service = self.sudo()
        rate = country and service.snailmail_rate_ids.filtered(lambda rate: rate.country_id == country)[:1]
        if rate:
            letter_price, page_price, color_price = rate.letter_price, rate.page_price, rate.color_price
        else:
            letter_price = service.credit_unit_price
            page_price, color_price = service.snailmail_page_price, service.snailmail_color_price
        pages = max(int(pages or 1), 1)
        price = letter_price + (pages - 1) * page_price + (pages * color_price if color else 0.0)
        return float_round(price, precision_digits=4)
