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
        """The issuer of the document (vendor, merchant): by VAT number, else by name, else
        by a company name printed on the document; nobody when unsure.

        The VAT number and the name are looked up by stock `res.partner._retrieve_partner`
        (the company's own partners first, then the shared ones; the VAT number with or
        without its country prefix or leading zeros, the name when one partner only has it).
        Two rules stock has not are this addon's: a VAT number stored with separators
        (``GB 980 780 684``) matches the compact one printed, and a company whose full name
        is printed anywhere on the document is its issuer when it is the only one. The
        companies of this database are never the vendor, and a partner found by its name
        is refused when its VAT number differs from the printed one.

        :param dict values: ``vendor_vat``, ``vendor_name`` and ``text`` (the whole text read)
        :return: a commercial `res.partner`, or an empty recordset
        """
        Partner = self.env["res.partner"]
        company_partners = self.env["res.company"].sudo().search([("partner_id", "!=", False)]).partner_id
        vat = vat_numbers.compact_vat(values.get("vendor_vat"))
        if vat:
            partners = Partner._retrieve_partner(vat=vat, company=self.company_id).commercial_partner_id
            partners = (partners or self._digitization_partners_with_vat(vat)) - company_partners
            if len(partners) == 1:
                return partners
            if len(partners) > 1:
                return Partner
        name = (values.get("vendor_name") or "").strip()
        if name:
            partner = Partner._retrieve_partner(name=name, company=self.company_id).commercial_partner_id
            if partner and partner not in company_partners:
                return partner if self._digitization_vat_agrees(partner, vat) else Partner
        text = values.get("text")
        if text:
            partners = self._digitization_partners_named_in(text) - company_partners
            if len(partners) == 1 and self._digitization_vat_agrees(partners, vat):
                return partners
        return Partner

    def _digitization_vat_agrees(self, partner, vat):
        return not vat or not partner.vat or vat_numbers.compact_vat(partner.vat) == vat

    def _digitization_partner_query(self, condition):
        """The company's and the shared partners (active, readable) that also meet the SQL
        ``condition`` on their own columns, which a domain cannot express: the way of stock
        `_retrieve_partner_with_vat`.

        :param condition: a callable taking the SQL of a column name and returning an `SQL`
        :return: ``res.partner`` (possibly several)
        """
        Partner = self.env["res.partner"]
        query = Partner._search(Partner._check_company_domain(self.company_id))
        query.add_where(condition(lambda name: Partner._field_to_sql(Partner._table, name, query)))
        return Partner.browse(list(query))

    def _digitization_partners_with_vat(self, vat):
        """The commercial partners whose VAT number, written with separators or not, is the
        compact ``vat`` printed (with or without its country prefix)."""
        partners = self._digitization_partner_query(
            lambda column: SQL(
                "regexp_replace(upper(%s), '[^0-9A-Z]', '', 'g') IN %s",
                column("vat"),
                (vat, re.sub(r"^[A-Z]+", "", vat)),
            )
        )
        return partners.commercial_partner_id

    def _digitization_partners_named_in(self, text):
        """Companies whose full name is printed on the document, as a whole phrase."""
        lowered = " ".join(text.lower().split())
        haystack = document_values.normalize(lowered)
        partners = self._digitization_partner_query(
            lambda column: SQL(
                "%(is_company)s AND length(%(name)s) >= 4 "
                "AND (strpos(%(lowered)s, lower(%(name)s)) > 0 OR strpos(%(haystack)s, lower(%(name)s)) > 0)",
                is_company=column("is_company"),
                name=column("name"),
                lowered=lowered,
                haystack=haystack,
            )
        )
        named = {partner.id: " ".join(document_values.normalize(partner.name).split()) for partner in partners}
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
        return self.env["res.partner"].browse(ids).commercial_partner_id
