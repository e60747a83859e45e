# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import re

from odoo import api, fields, models

from ..tools import company_data


class IapAutocompleteDirectory(models.Model):
    """A company of the directory that the Sandbox autocomplete engine answers from.

    Demo data ships a few fictitious companies so that the whole autocomplete flow can
    be tried without any provider; a database may keep its own list of companies here.
    """

    _name = "iap.autocomplete.directory"
    _description = "Company Directory Entry"
    _order = "name, id"

    name = fields.Char(required=True, index="trigram", help="The company's name, as suggested.")
    active = fields.Boolean(default=True)
    vat = fields.Char(string="Tax ID", help="The VAT number, with its country prefix (BE0477472701).")
    vat_key = fields.Char(
        compute="_compute_vat_key", store=True, index=True, help="The VAT number without spaces nor punctuation."
    )
    company_registry = fields.Char(string="Company ID", help="The company's number in its trade register.")
    street = fields.Char()
    street2 = fields.Char()
    zip = fields.Char()
    city = fields.Char()
    state_id = fields.Many2one("res.country.state", domain="[('country_id', '=?', country_id)]")
    country_id = fields.Many2one("res.country")
    website = fields.Char()
    domain = fields.Char(
        compute="_compute_domain",
        store=True,
        index=True,
        help="The domain of the website (odoo.com): company enrichment finds the company by it.",
    )
    email = fields.Char()
    phone = fields.Char()
    logo = fields.Image(max_width=512, max_height=512)

    @api.depends("vat")
    def _compute_vat_key(self):
        for entry in self:
            entry.vat_key = self._vat_key(entry.vat)

    @api.depends("website", "email")
    def _compute_domain(self):
        for entry in self:
            entry.domain = company_data.registrable_domain(entry.website) or company_data.registrable_domain(
                entry.email
            )

    @api.model
    def _vat_key(self, vat):
        return re.sub(r"[^A-Z0-9]", "", (vat or "").upper()) or False

    def _company_data(self, with_logo=True):
        """The company data of this entry (see :mod:`..tools.company_data`)."""
        self.ensure_one()
        return company_data.compact(
            {
                "name": self.name,
                "vat": self.vat,
                "company_registry": self.company_registry,
                "street": self.street,
                "street2": self.street2,
                "zip": self.zip,
                "city": self.city,
                "country_code": self.country_id.code,
                "state_code": self.state_id.code,
                "website": self.website,
                "email": self.email,
                "phone": self.phone,
                "logo": self.logo.decode() if with_logo and self.logo else None,
            }
        )
