# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Matching what was read with the database: the vendor, the currency and the taxes."""

import re

from odoo import models
from odoo.tools import SQL, float_compare, float_is_zero

from ..tools import document_values, vat_numbers


class IapDigitizationMatching(models.AbstractModel):
    """Partners, currencies and taxes found from the values read."""

    _inherit = "iap.digitization.mixin"

    def _digitization_find_tax(self, values, price_include=False):
        """The company's purchase tax of the printed rate, when exactly one matches.

        :param dict values: ``tax_rate``, or ``amount_untaxed`` and ``amount_tax``
        :param bool price_include: look among taxes included in the price (``None``: either)
        """
        untaxed, tax_amount = values.get("amount_untaxed"), values.get("amount_tax")
        rate = values.get("tax_rate")
        if rate is None and untaxed and tax_amount is not None:
            rate = round(tax_amount / untaxed * 100, 2)
        if rate is None or float_is_zero(rate, 2):
            return self.env["account.tax"]
        domain = [
            *self.env["account.tax"]._check_company_domain(self.company_id),
            ("type_tax_use", "=", "purchase"),
            ("amount_type", "=", "percent"),
        ]
        if price_include is not None:
            domain.append(("price_include", "=", price_include))
        taxes = self.env["account.tax"].search(domain)
        taxes = taxes.filtered(lambda t: float_compare(t.amount, rate, precision_digits=2) == 0)
        return taxes if len(taxes) == 1 else self.env["account.tax"]

    def _digitization_find_currency(self, code):
        if not code:
            return self.env["res.currency"]
        return self.env["res.currency"].search([("name", "=", code)], limit=1)

    def _digitization_find_vendor(self, values):
        """The issuer of the document (vendor, merchant): by VAT number, else by name; nobody
        when unsure.

        A partner is only chosen when exactly one commercial partner matches, and a name
        match is refused when that partner's VAT number differs from the printed one.

        :param dict values: ``vendor_vat``, ``vendor_name`` and ``text`` (the whole text read)
        """
        Partner = self.env["res.partner"]
        company_partners = self.env["res.company"].sudo().search([("partner_id", "!=", False)]).partner_id
        domain = [*Partner._check_company_domain(self.company_id), ("id", "not in", company_partners.ids)]
        vat = vat_numbers.compact_vat(values.get("vendor_vat"))
        Partner.flush_model(["vat", "name", "active", "is_company"])
        if vat:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM res_partner WHERE active AND vat IS NOT NULL "
                    "AND regexp_replace(upper(vat), '[^0-9A-Z]', '', 'g') IN %s",
                    (vat, re.sub(r"^[A-Z]+", "", vat)),
                )
            )
            partners = Partner.browse([row[0] for row in self.env.cr.fetchall()]).filtered_domain(domain)
            partners = partners.commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners
            if len(partners) > 1:
                return Partner
        name = (values.get("vendor_name") or "").strip()
        if name:
            pattern = re.sub(r"([\\%_])", r"\\\1", name)  # a literal name, not a pattern
            partners = Partner.search([*domain, ("name", "=ilike", pattern)]).commercial_partner_id - company_partners
            if len(partners) == 1:
                return partners if self._digitization_vat_agrees(partners, vat) else Partner
            if len(partners) > 1:
                return Partner
        text = values.get("text")
        if text:
            partners = self._digitization_partners_named_in(text, domain) - company_partners
            if len(partners) == 1 and self._digitization_vat_agrees(partners, vat):
                return partners
        return Partner

    def _digitization_vat_agrees(self, partner, vat):
        return not vat or not partner.vat or vat_numbers.compact_vat(partner.vat) == vat

    def _digitization_partners_named_in(self, text, domain):
        """Companies whose full name is printed on the document, as a whole phrase."""
        lowered = " ".join(text.lower().split())
        haystack = document_values.normalize(lowered)
        self.env.cr.execute(
            SQL(
                "SELECT id, name FROM res_partner WHERE active AND is_company AND length(name) >= 4 "
                "AND (strpos(%s, lower(name)) > 0 OR strpos(%s, lower(name)) > 0)",
                lowered,
                haystack,
            )
        )
        named = {
            partner_id: " ".join(document_values.normalize(name).split()) for partner_id, name in self.env.cr.fetchall()
        }
        named = {
            partner_id: name
            for partner_id, name in named.items()
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", haystack)
        }
        # "Twin Trading" is printed inside "Twin Trading Unique": only the longest name counts.
        ids = [
            partner_id
            for partner_id, name in named.items()
            if not any(name != other and name in other for other in named.values())
        ]
        return self.env["res.partner"].browse(ids).filtered_domain(domain).commercial_partner_id
