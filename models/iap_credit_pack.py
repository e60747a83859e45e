# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IapCreditPack(models.Model):
    """A pack of credits of one IAP service, sold in-app through Odoo's payment providers.

    The price is in the currency of the pack's company: a pack is only offered to the
    accounts of its company, so that the amount paid never needs a conversion.
    """

    _name = "iap.credit.pack"
    _description = "IAP Credit Pack"
    _order = "service_id, sequence, credits, id"

    name = fields.Char(required=True, translate=True, help="Shown to the buyer, e.g. '1,000 SMS credits'.")
    service_id = fields.Many2one(
        "iap.service",
        required=True,
        index=True,
        ondelete="cascade",
        # Only a service this database runs can be sold: the others' credits are Odoo's.
        domain=[("has_local_engine", "=", True)],
        help="The service whose accounts receive the credits of this pack: only services with a "
        "local engine in this database can sell credit packs.",
    )
    credits = fields.Float(
        digits="IAP Credits", required=True, help="Credits added to the account when the pack is paid."
    )
    bonus_credits = fields.Float(
        digits="IAP Credits",
        default=0.0,
        help="Extra credits granted with the pack, not paid for (a volume discount). "
        "They are added with the paid credits, on the same ledger row.",
    )
    total_credits = fields.Float(
        digits="IAP Credits",
        compute="_compute_total_credits",
        help="Credits the buyer receives: the pack's credits plus its bonus.",
    )
    price = fields.Monetary(required=True, help="Amount paid for the pack, in the currency of its company.")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The pack is offered to the accounts of this company only, in its currency.",
    )
    currency_id = fields.Many2one(
        related="company_id.currency_id",
        store=True,
        help="The currency of the price: always the currency of the pack's company.",
    )
    unit_name = fields.Char(
        compute="_compute_unit_name", string="Unit", help="The unit of the service's credits, in your language."
    )
    sequence = fields.Integer(default=10, help="Order of the packs on the purchase page.")
    active = fields.Boolean(default=True, help="Archived packs are no longer offered; past purchases stay.")
    is_best_value = fields.Boolean(
        string="Best Value",
        help="Highlight this pack on the purchase page as the best value.",
    )

    _credits_positive = models.Constraint("CHECK(credits > 0)", "The credits of a pack must be positive.")
    _price_positive = models.Constraint("CHECK(price > 0)", "The price of a pack must be positive.")
    _bonus_not_negative = models.Constraint(
        "CHECK(bonus_credits IS NULL OR bonus_credits >= 0)", "The bonus credits of a pack cannot be negative."
    )

    @api.depends("credits", "bonus_credits")
    def _compute_total_credits(self):
        for pack in self:
            pack.total_credits = pack.credits + (pack.bonus_credits or 0.0)

    @api.depends("service_id.unit_name")
    @api.depends_context("lang")
    def _compute_unit_name(self):
        for pack in self:
            pack.unit_name = pack.service_id._get_unit_label()

    @api.constrains("service_id", "active")
    def _check_service_has_local_engine(self):
        """Credits of a service without a local engine could never be spent: its work goes to
        Odoo's server, paid with Odoo's credits. Archived packs may stay, for past purchases."""
        wrong = self.filtered(lambda pack: pack.active and not pack.service_id.has_local_engine)
        if wrong:
            raise ValidationError(
                self.env._(
                    "Credit packs cannot be sold for %(services)s: this database has no local engine for it, "
                    "its credits are bought from Odoo IAP (packs: %(packs)s).",
                    services=", ".join(sorted(set(wrong.service_id.mapped("name")))),
                    packs=", ".join(wrong.mapped("display_name")),
                )
            )

    @api.model
    def _get_offered_packs(self, account, company):
        """The active packs offered to ``account`` when bought for ``company``.

        :param account: the local `iap.account` (singleton)
        :param company: the `res.company` the purchase is made for
        :return: `iap.credit.pack` recordset, in the page's order
        """
        if not account.service_id.has_local_engine:
            return self.browse()
        return self.search(
            [
                ("service_id", "=", account.service_id.id),
                ("company_id", "=", company.id),
                ("currency_id", "=", company.currency_id.id),
            ]
        )
