# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import company_data, gateway_errors
from .iap_gateway_request_mixin import MAX_ANSWER_BYTES

_logger = logging.getLogger(__name__)

USER_AGENT = "Odoo iap_credits partner autocomplete"


class IapAutocompleteEngine(models.Model):
    """A way to answer the partner autocomplete of local credit accounts.

    Each engine has a provider ``code``; a new provider is a ``selection_add`` on it plus
    overrides of the ``_autocomplete_…`` hooks below that return early for other codes
    (the pattern of `payment.provider` and `iap.sms.gateway`), in a file of its own.

    The hooks answer *company data* (see :mod:`..tools.company_data`): searches return
    suggestions, free, and enrichments return one company, charged by the caller
    (`iap.autocomplete.api`) when it carries data. A hook raises `UserError`, with a
    translated reason, when its provider failed (unreachable, timeout, rate limit,
    malformed answer): never charged. "Not found" is an empty answer, not an error.
    """

    _name = "iap.autocomplete.engine"
    _inherit = ["iap.gateway.mixin"]
    _description = "Partner Autocomplete Engine"
    _order = "sequence, id"

    sequence = fields.Integer(
        help="Engines of an account are asked in this order; the first that finds companies answers."
    )
    code = fields.Selection(
        help="Where company data comes from. Sandbox: the company directory of this database, nothing leaves it.",
    )
    company_id = fields.Many2one(help="Leave empty to share the engine between companies.")
    account_ids = fields.Many2many(
        "iap.account",
        "iap_account_autocomplete_engine_rel",
        "engine_id",
        "account_id",
        string="Accounts",
        help="The partner autocomplete accounts that use this engine.",
    )

    @api.model
    def _get_url_fields(self):
        """The fields of the providers' URLs, checked when written. Extended by the engine files.

        :return: a set of field names
        """
        return set()

    @api.constrains(lambda self: self._get_url_fields())
    def _check_urls(self):
        for engine in self.sudo():
            for name in self._get_url_fields():
                if engine[name] and not company_data.is_http_url(engine[name].replace("{domain}", "example.com")):
                    raise ValidationError(
                        self.env._(
                            "%(field)s must be an http or https URL (not %(url)s).",
                            field=self._fields[name]._description_string(self.env),
                            url=engine[name],
                        )
                    )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _provider_access_refusal(self):
        """Override of `iap.gateway.mixin`: the engine's provider decides where the names, VAT
        numbers and domains typed by users go."""
        return self.env._("Only administrators can choose the provider of an autocomplete engine.")

    # ------------------------------------------------------------
    # PROVIDER HOOKS — override them for a new code, returning early for the others
    # ------------------------------------------------------------

    def _autocomplete_supports(self, kind):
        """Whether this engine can answer ``kind`` of request.

        :param str kind: ``name`` (search by name), ``vat`` (search and enrich by VAT
            number) or ``domain`` (enrich by the company's web domain)
        """
        return False

    def _autocomplete_search_by_name(self, query, country_code, limit, timeout):
        """Companies whose name matches ``query``.

        :param str query: what the user typed, stripped, at most 100 characters
        :param str country_code: ISO code of the country to search in, or False for worldwide
        :param int limit: how many suggestions at most
        :param int timeout: seconds the caller can wait
        :return: a list of company data, each with ``key``: the provider's identifier of
            the company, handed back to :meth:`_autocomplete_enrich`
        :raise UserError: when the provider failed
        """
        return []

    def _autocomplete_search_by_vat(self, vat, country_code, timeout):
        """Companies with the VAT number ``vat``, as :meth:`_autocomplete_search_by_name`."""
        return []

    def _autocomplete_enrich(self, key, timeout):
        """The data of the company of a suggestion.

        :param str key: the ``key`` of a suggestion of this engine, as a stranger may have
            changed it: to be validated
        :return: company data, or {} when the provider does not know it
        :raise UserError: when the provider failed
        """
        return {}

    def _autocomplete_subject(self, key):
        """What the key of a suggestion names, for the ledger (the company's name, an LEI…)."""
        return key

    def _autocomplete_enrich_by_vat(self, vat, timeout):
        """The data of the company with the VAT (or GST) number ``vat``, or {}."""
        return {}

    def _autocomplete_enrich_by_domain(self, domain, timeout):
        """The data of the company whose web domain is ``domain`` (``odoo.com``), or {}."""
        return {}

    # ------------------------------------------------------------
    # HTTP — the engines that call a provider go through `_gateway_request`
    # ------------------------------------------------------------

    def _autocomplete_timeout(self, timeout):
        """The engine's timeout, within the time the caller can wait."""
        self.ensure_one()
        return max(1, min(self.timeout or 10, timeout or self.timeout or 10))

    def _autocomplete_request(
        self, method, url, timeout, max_bytes=MAX_ANSWER_BYTES, http_errors=True, answer="content", **kwargs
    ):
        """Call the provider through :meth:`_gateway_request`; return its answer, read up
        to ``max_bytes``.

        :param str answer: ``content`` or ``json``, as :meth:`_gateway_request`
        :param kwargs: passed to :meth:`_gateway_request` (``params``, ``json``,
            ``headers``, ``allow_redirects``)
        :param bool http_errors: raise for HTTP errors (but 404); False for providers whose
            error answers say what went wrong
        :return: ``(response, content)`` (or the JSON answer): HTTP 404 is returned, since providers say "not
            found" with it, and so are redirections
        :raise UserError: with a translated reason when the provider is unreachable, too
            slow, limits the rate of requests, answers an HTTP error or too much
        """
        self.ensure_one()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        return self._gateway_request(
            method,
            url,
            headers=headers,
            timeout=timeout,
            max_bytes=max_bytes,
            # A rate limit is an error even for providers whose error answers are read.
            accept_status=(404,) if http_errors else (lambda status: status != 429),
            answer=answer,
            **kwargs,
        )

    def _autocomplete_request_json(self, method, url, timeout, **kwargs):
        """As :meth:`_autocomplete_request`, for an answer in JSON.

        :return: ``(status code, answer)``
        :raise UserError: as :meth:`_autocomplete_request`, and when the answer is not JSON
        """
        response, answer = self._autocomplete_request(method, url, timeout, answer="json", **kwargs)
        if answer is None and response.status_code >= 400:
            # An error page that is not JSON, from a provider whose errors are JSON.
            _logger.warning("Autocomplete engine %s: HTTP %s without JSON", self.name, response.status_code)
            raise UserError(self._autocomplete_malformed_reason())
        return response.status_code, answer

    def _gateway_logger(self):
        """Override of `iap.gateway.request.mixin`: the family's logger."""
        return _logger

    def _gateway_failure_reason(self, error, timeout):
        """Override of `iap.gateway.request.mixin`: the reasons of the autocomplete engines."""
        if getattr(getattr(error, "response", None), "status_code", None) == 429:
            return self._autocomplete_rate_limited_reason()
        return self._autocomplete_failure_reason(error, timeout)

    def _autocomplete_failure_reason(self, error, timeout):
        """The reason shown to users when a call to the provider failed, by kind of failure.

        Never the exception's text: it holds the URL called and what was looked up.
        """
        self.ensure_one()
        name = self.name
        kind = gateway_errors.request_error_kind(error)
        if kind == gateway_errors.TIMEOUT:
            return self.env._(
                "The autocomplete engine %(name)s did not answer in time (timeout: %(timeout)s s).",
                name=name,
                timeout=timeout,
            )
        if kind == gateway_errors.HTTP_ERROR:
            return self.env._(
                "The autocomplete engine %(name)s answered with an error (HTTP %(status)s).",
                name=name,
                status=getattr(error.response, "status_code", "?"),
            )
        if kind == gateway_errors.UNREADABLE:
            return self._autocomplete_malformed_reason()
        return self.env._("The autocomplete engine %(name)s could not be reached.", name=name)

    def _autocomplete_rate_limited_reason(self):
        self.ensure_one()
        return self.env._(
            "The autocomplete engine %(name)s is receiving too many requests; try again in a minute.", name=self.name
        )

    def _autocomplete_malformed_reason(self):
        self.ensure_one()
        return self.env._("The autocomplete engine %(name)s answered something unreadable.", name=self.name)
