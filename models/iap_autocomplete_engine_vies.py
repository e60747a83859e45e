# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import company_data

_logger = logging.getLogger(__name__)

VIES_API_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"
# VIES error codes (``errorWrappers[].error``) that mean "too many requests, retry later".
VIES_RATE_LIMIT_ERRORS = {"MS_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ"}
# ... that mean a member state's or VIES's own service is down.
VIES_UNAVAILABLE_ERRORS = {"MS_UNAVAILABLE", "SERVICE_UNAVAILABLE", "TIMEOUT"}
# ... that mean VIES cannot check this number: the same as an invalid number.
VIES_NOT_FOUND_ERRORS = {"INVALID_INPUT", "INVALID_REQUESTER_INFO", "VAT_BLOCKED"}


class IapAutocompleteEngine(models.Model):
    """VIES provider: the European Commission's VAT number check, REST API.

    An EU VAT number (checked first by its check digits, with `python-stdnum`) is POSTed
    as ``{"countryCode", "vatNumber"}`` to ``<API URL>/check-vat-number``; a valid number
    comes back with the legal name and registered address that its member state shares
    (some share none: such a number gives no suggestion and costs nothing).
    """

    _inherit = "iap.autocomplete.engine"

    code = fields.Selection(selection_add=[("vies", "VIES (EU VAT numbers)")], ondelete={"vies": "cascade"})
    vies_url = fields.Char(
        string="VIES API URL",
        default=VIES_API_URL,
        groups="base.group_system",
        help="Base URL of the VIES REST API; change it only for a proxy or a test server.",
    )

    @api.model
    def _get_url_fields(self):
        """Override of `iap_credits`: the provider's URL."""
        return super()._get_url_fields() | {"vies_url"}

    def _autocomplete_supports(self, kind):
        """Override of `iap_credits`: VIES answers about VAT numbers only."""
        if self.code != "vies":
            return super()._autocomplete_supports(kind)
        return kind == "vat"

    def _autocomplete_search_by_vat(self, vat, country_code, timeout):
        """Override of `iap_credits` to check the number with VIES."""
        if self.code != "vies":
            return super()._autocomplete_search_by_vat(vat, country_code, timeout)
        company = self._vies_check(vat, country_code, timeout)
        return [{**company, "key": company["vat"]}] if company else []

    def _autocomplete_enrich(self, key, timeout):
        """Override of `iap_credits`: the key of a suggestion is the VAT number."""
        if self.code != "vies":
            return super()._autocomplete_enrich(key, timeout)
        return self._vies_check(key, None, timeout)

    def _autocomplete_enrich_by_vat(self, vat, timeout):
        """Override of `iap_credits` to check the number with VIES."""
        if self.code != "vies":
            return super()._autocomplete_enrich_by_vat(vat, timeout)
        return self._vies_check(vat, None, timeout)

    # ------------------------------------------------------------
    # VIES
    # ------------------------------------------------------------

    def _vies_check(self, vat, country_code, timeout):
        """Ask VIES about an EU VAT number.

        :return: company data, or {} when the number is not a valid EU VAT number or
            VIES names no company for it
        :raise UserError: when VIES failed
        """
        self.ensure_one()
        split = company_data.split_eu_vat(vat, country_code)
        if not split:
            return {}  # not an EU VAT number: nothing to ask
        state, number = split
        url = f"{(self.sudo().vies_url or VIES_API_URL).rstrip('/')}/check-vat-number"
        status, answer = self._autocomplete_request_json(
            "POST",
            url,
            self._autocomplete_timeout(timeout),
            json={"countryCode": state, "vatNumber": number},
            http_errors=False,
        )
        if not isinstance(answer, dict):
            raise UserError(self._autocomplete_malformed_reason())
        errors = answer.get("errorWrappers")
        if answer.get("actionSucceed") is False or errors:
            return self._vies_error(errors, status)
        if status >= 400:
            raise UserError(
                self.env._(
                    "The autocomplete engine %(name)s answered with an error (HTTP %(status)s).",
                    name=self.name,
                    status=status,
                )
            )
        if not isinstance(answer.get("valid"), bool):
            _logger.warning("VIES engine %s: answer without validity: %r", self.name, sorted(answer))
            raise UserError(self._autocomplete_malformed_reason())
        return company_data.vies_company(answer, state, number)

    def _vies_error(self, errors, status):
        """Read VIES's ``errorWrappers``: "not found" for what VIES cannot check, else raise."""
        codes = [str(error.get("error")) for error in errors or [] if isinstance(error, dict)]
        _logger.warning("VIES engine %s: HTTP %s, errors %s", self.name, status, codes)
        if VIES_RATE_LIMIT_ERRORS.intersection(codes):
            raise UserError(self._autocomplete_rate_limited_reason())
        if codes and set(codes) <= VIES_NOT_FOUND_ERRORS:
            return {}
        if VIES_UNAVAILABLE_ERRORS.intersection(codes):
            raise UserError(
                self.env._(
                    "VIES cannot check this VAT number now: the service of its member state is unavailable. "
                    "Try again later."
                )
            )
        if not codes:
            raise UserError(self._autocomplete_malformed_reason())
        raise UserError(self.env._("VIES refused the request (%(codes)s).", codes=", ".join(codes)))
