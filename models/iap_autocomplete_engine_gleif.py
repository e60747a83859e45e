# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import company_data

_logger = logging.getLogger(__name__)

GLEIF_API_URL = "https://api.gleif.org/api/v1"
JSON_API = "application/vnd.api+json"


class IapAutocompleteEngine(models.Model):
    """GLEIF provider: the Global LEI Index, legal entities worldwide, no key needed.

    A name is searched with ``GET <API URL>/lei-records?filter[fulltext]=…`` (in the
    contact's country with ``filter[entity.legalAddress.country]``); a suggestion is an
    LEI, enriched with ``GET <API URL>/lei-records/<LEI>``: legal name, registered address
    and the number in its trade register. Answers are JSON:API documents.
    """

    _inherit = "iap.autocomplete.engine"

    code = fields.Selection(selection_add=[("gleif", "GLEIF (legal entities)")], ondelete={"gleif": "cascade"})
    gleif_url = fields.Char(
        string="GLEIF API URL",
        default=GLEIF_API_URL,
        groups="base.group_system",
        help="Base URL of the GLEIF API; change it only for a proxy or a test server.",
    )

    @api.model
    def _get_url_fields(self):
        """Override of `iap_credits`: the provider's URL."""
        return super()._get_url_fields() | {"gleif_url"}

    def _autocomplete_supports(self, kind):
        """Override of `iap_credits`: GLEIF is searched by name."""
        if self.code != "gleif":
            return super()._autocomplete_supports(kind)
        return kind == "name"

    def _autocomplete_search_by_name(self, query, country_code, limit, timeout):
        """Override of `iap_credits` to search the LEI records by name."""
        if self.code != "gleif":
            return super()._autocomplete_search_by_name(query, country_code, limit, timeout)
        params = {"filter[fulltext]": query, "page[size]": limit}
        if country_code:
            params["filter[entity.legalAddress.country]"] = country_code.upper()
        _status, answer = self._gleif_get("lei-records", timeout, params=params)
        records = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(records, list):
            _logger.warning("GLEIF engine %s: search answer without data", self.name)
            raise UserError(self._autocomplete_malformed_reason())
        companies = [company_data.gleif_company(record) for record in records]
        return [
            {**company, "key": company["lei"]}
            for company in companies
            if company and company.get("status") != "INACTIVE"
        ]

    def _autocomplete_enrich(self, key, timeout):
        """Override of `iap_credits`: the key of a suggestion is the LEI."""
        if self.code != "gleif":
            return super()._autocomplete_enrich(key, timeout)
        if not company_data.LEI_RE.match(key):
            return {}
        status, answer = self._gleif_get(f"lei-records/{key}", timeout)
        if status == 404:
            return {}
        company = company_data.gleif_company(answer.get("data") if isinstance(answer, dict) else None)
        if not company:
            _logger.warning("GLEIF engine %s: malformed LEI record", self.name)
            raise UserError(self._autocomplete_malformed_reason())
        return company

    def _gleif_get(self, path, timeout, params=None):
        self.ensure_one()
        url = f"{(self.sudo().gleif_url or GLEIF_API_URL).rstrip('/')}/{path}"
        return self._autocomplete_request_json(
            "GET", url, self._autocomplete_timeout(timeout), params=params, headers={"Accept": JSON_API}
        )
