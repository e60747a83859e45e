# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import fields, models


class IapAutocompleteEngine(models.Model):
    """Sandbox provider: the company directory of this database (`iap.autocomplete.directory`).

    Nothing leaves the database. Demo data fills the directory with fictitious companies,
    so that the stock autocomplete flow can be tried, and charged, end to end.
    """

    _inherit = "iap.autocomplete.engine"

    code = fields.Selection(selection_add=[("sandbox", "Sandbox (company directory)")], ondelete={"sandbox": "cascade"})

    def _autocomplete_supports(self, kind):
        """Override of `iap_credits`: the directory is searched by name, VAT number and domain."""
        if self.code != "sandbox":
            return super()._autocomplete_supports(kind)
        return kind in ("name", "vat", "domain")

    def _autocomplete_search_by_name(self, query, country_code, limit, timeout):
        """Override of `iap_credits` to search the directory by name."""
        if self.code != "sandbox":
            return super()._autocomplete_search_by_name(query, country_code, limit, timeout)
        domain = [("name", "ilike", query)]
        if country_code:
            domain.append(("country_id.code", "=", country_code.upper()))
        return self._sandbox_suggestions(self._sandbox_directory().search(domain, limit=limit))

    def _autocomplete_search_by_vat(self, vat, country_code, timeout):
        """Override of `iap_credits` to search the directory by VAT number."""
        if self.code != "sandbox":
            return super()._autocomplete_search_by_vat(vat, country_code, timeout)
        return self._sandbox_suggestions(self._sandbox_find_vat(vat, country_code))

    def _autocomplete_enrich(self, key, timeout):
        """Override of `iap_credits`: the key of a suggestion is the directory entry's id."""
        if self.code != "sandbox":
            return super()._autocomplete_enrich(key, timeout)
        entry = self._sandbox_entry(key).filtered("active")
        return entry._company_data() if entry else {}

    def _autocomplete_subject(self, key):
        """Override of `iap_credits`: the directory entry's name rather than its id."""
        if self.code != "sandbox":
            return super()._autocomplete_subject(key)
        entry = self._sandbox_entry(key)
        return entry.name if entry else key

    def _autocomplete_enrich_by_vat(self, vat, timeout):
        """Override of `iap_credits` to find the company by its VAT (or GST) number."""
        if self.code != "sandbox":
            return super()._autocomplete_enrich_by_vat(vat, timeout)
        entry = self._sandbox_find_vat(vat)
        return entry._company_data() if entry else {}

    def _autocomplete_enrich_by_domain(self, domain, timeout):
        """Override of `iap_credits` to find the company by the domain of its website or email."""
        if self.code != "sandbox":
            return super()._autocomplete_enrich_by_domain(domain, timeout)
        entry = self._sandbox_directory().search([("domain", "=", domain.lower())], limit=1)
        return entry._company_data() if entry else {}

    # ------------------------------------------------------------
    # DIRECTORY
    # ------------------------------------------------------------

    def _sandbox_directory(self):
        # Users search the directory through the engine without reading it themselves.
        return self.env["iap.autocomplete.directory"].sudo()

    def _sandbox_entry(self, key):
        """The directory entry of a suggestion's key, as a stranger may have written it."""
        if not key.isdigit() or int(key) >= 2**31:  # ids are PostgreSQL integers
            return self._sandbox_directory()
        return self._sandbox_directory().browse(int(key)).exists()

    def _sandbox_find_vat(self, vat, country_code=None):
        """The entry with the VAT number ``vat``, typed with or without its country prefix."""
        Directory = self._sandbox_directory()
        key = Directory._vat_key(vat)
        if not key:
            return Directory
        keys = [key] + (
            [f"{country_code.upper()}{key}"] if country_code and not key.startswith(country_code.upper()) else []
        )
        return Directory.search([("vat_key", "in", keys)], limit=1)

    def _sandbox_suggestions(self, entries):
        return [{**entry._company_data(with_logo=False), "key": str(entry.id)} for entry in entries]
