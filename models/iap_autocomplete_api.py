# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from ..tools import company_data
from .iap_account_autocomplete import AUTOCOMPLETE_SERVICE

_logger = logging.getLogger(__name__)

SEARCH_LIMIT = 10
MAX_QUERY_LENGTH = 100
DEFAULT_TIMEOUT = 15
# The stock actions (`res.partner.autocomplete_by_*`, `enrich_by_*`) and who answers them.
LOCAL_ACTIONS = {
    "search_by_name": "_local_search_by_name",
    "search_by_vat": "_local_search_by_vat",
    "enrich_by_duns": "_local_enrich_by_duns",
    "enrich_by_gst": "_local_enrich_by_gst",
    "enrich_by_domain": "_local_enrich_by_domain",
}
# Keys of the engines' company data that are theirs, not the stock answer's.
ENGINE_KEYS = {"key", "lei", "status", "logo_url"}


class IapAutocompleteApi(models.AbstractModel):
    """The stock partner autocomplete API, answered by this database for local accounts.

    Every stock caller — the widget of the name and VAT fields, the company enrichment of
    the first web client load — goes through `_request_partner_autocomplete`; for a
    `partner_autocomplete` account in local mode, its engines answer instead of Odoo's
    server, in the stock answer shapes:

    * searches (``search_by_name``, ``search_by_vat``) are free; a suggestion carries the
      company's name and, in the stock ``duns`` key, the reference of the engine and the
      company, which the widget hands back to ``enrich_by_duns`` when the user picks it;
    * an enrichment (``enrich_by_duns``, ``enrich_by_gst``, ``enrich_by_domain``) costs the
      service's credits per unit, through the dispatch layer: held before the engine is
      asked (committed, so no lock is held while the provider answers), captured only when
      the engine found company data, released otherwise. A failure is a translated message
      in the stock error shape; the widget shows it and writes nothing it did not show.
    """

    _inherit = "iap.autocomplete.api"

    @api.model
    def _request_partner_autocomplete(self, action, params, timeout=DEFAULT_TIMEOUT):
        """Override of `partner_autocomplete` to answer local accounts with this database's engines."""
        account = self.env["iap.account"]._account_for(AUTOCOMPLETE_SERVICE)
        if account.credit_mode != "local":
            return super()._request_partner_autocomplete(action, params, timeout=timeout)
        # Odoo's server refuses users without an account token; here, credits are spent on
        # the company's account: only its employees may.
        if not self.env.su and not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can use partner autocomplete."))
        return self._local_answer(account, action, params, timeout)

    @api.model
    def _local_answer(self, account, action, params, timeout=DEFAULT_TIMEOUT):
        """The answer of this database's engines to a stock action, charged on ``account``.

        The one place that answers partner autocomplete with local credits: for this
        database's own account (above) and for a client database's account (server mode,
        `iap.autocomplete.api._server_answer`).

        :param account: a local `partner_autocomplete` `iap.account`
        :param str action: the stock action (``search_by_name``, ``enrich_by_duns``, ...)
        :param dict params: the stock parameters of the action, as a stranger may send them
        :return: the stock pair ``(answer, error)``
        """
        handler = LOCAL_ACTIONS.get(action)
        if not handler:
            return False, self.env._("This partner autocomplete request is not supported.")
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
            timeout = DEFAULT_TIMEOUT
        return getattr(self, handler)(account, params if isinstance(params, dict) else {}, timeout)

    # ------------------------------------------------------------
    # SEARCHES — free
    # ------------------------------------------------------------

    def _local_search_by_name(self, account, params, timeout):
        query = self._local_text(params.get("query"))
        country = self._local_text(params.get("query_country_code"))
        return {"data": self._local_search(account, "name", query, country, timeout) if query else []}, False

    def _local_search_by_vat(self, account, params, timeout):
        vat = self._local_text(params.get("query"))
        country = self._local_text(params.get("query_country_code"))
        return {"data": self._local_search(account, "vat", vat, country, timeout) if vat else []}, False

    def _local_search(self, account, kind, query, country_code, timeout):
        """Suggestions of the first engine of the account that finds companies.

        A name is searched in ``country_code`` first, then worldwide when no engine finds
        it there. An engine that fails is skipped (its failure is logged): the widget
        shows no error while the user types.

        :return: suggestions in the stock shape (before `res.partner._format_data_company`)
        """
        engines = account._autocomplete_engines().filtered(lambda engine: engine._autocomplete_supports(kind))
        countries = [country_code, False] if kind == "name" and country_code else [country_code or False]
        for country in countries:
            for engine in engines:
                try:
                    if kind == "name":
                        found = engine._autocomplete_search_by_name(query, country, SEARCH_LIMIT, timeout)
                    else:
                        found = engine._autocomplete_search_by_vat(query, country, timeout)
                except UserError as error:
                    _logger.info("Autocomplete engine %s skipped: %s", engine.name, error)
                    continue
                suggestions = [
                    self._local_suggestion(engine, company)
                    for company in found[:SEARCH_LIMIT]
                    if company.get("name") and company.get("key")
                ]
                if suggestions:
                    return suggestions
        return []

    def _local_suggestion(self, engine, company):
        """A suggestion: the name the dropdown shows, and the reference to enrich it by.

        Nothing else: the stock widget writes the suggestion's fields on the contact when
        its enrichment fails, and a failed enrichment must leave the contact as it was
        (but for the name the user picked).
        """
        return {"name": company["name"], "duns": company_data.make_reference(engine.id, company["key"])}

    # ------------------------------------------------------------
    # ENRICHMENTS — charged when company data was found
    # ------------------------------------------------------------

    def _local_enrich_by_duns(self, account, params, timeout):
        reference = company_data.parse_reference(params.get("duns"))
        engines = account._autocomplete_engines()
        engine = engines.filtered(lambda engine: reference and engine.id == reference[0])
        if not engine:
            # Not one of our suggestions, or of an engine the account no longer uses.
            return False, self.env._("This suggestion is no longer available: search the company again.")
        key = reference[1]
        subject = f"{engine._autocomplete_subject(key)} ({engine.name})"
        return self._local_enrich(account, engine, lambda engine: engine._autocomplete_enrich(key, timeout), subject)

    def _local_enrich_by_gst(self, account, params, timeout):
        vat = self._local_text(params.get("gst"))
        if not vat:
            return False, self._local_not_found_reason()
        engines = account._autocomplete_engines().filtered(lambda engine: engine._autocomplete_supports("vat"))
        return self._local_enrich(
            account, engines, lambda engine: engine._autocomplete_enrich_by_vat(vat, timeout), vat
        )

    def _local_enrich_by_domain(self, account, params, timeout):
        domain = company_data.registrable_domain(params.get("domain"))
        if not domain:
            return False, self._local_not_found_reason()
        engines = account._autocomplete_engines().filtered(lambda engine: engine._autocomplete_supports("domain"))
        response, error = self._local_enrich(
            account, engines, lambda engine: engine._autocomplete_enrich_by_domain(domain, timeout), domain
        )
        if response and response.get("data", {}).get("logo"):
            # The stock company enrichment writes the partner's fields it finds by name.
            response["data"]["image_1920"] = response["data"]["logo"]
        return response, error

    def _local_enrich(self, account, engines, call, subject):
        """Ask ``engines`` in turn, through the dispatch layer, for one company's data.

        :param call: ``call(engine) -> company data``, raising `UserError` when the
            engine's provider failed
        :param str subject: what is looked up, for the ledger
        :return: the stock pair ``(answer, error)``: ``({"data": company}, False)``,
            ``({"credit_error": True}, False)`` or ``(False, translated reason)``
        """
        if not engines:
            return False, self.env._(
                "No autocomplete engine can answer this request on the account %(account)s: "
                "an administrator chooses its engines.",
                account=account.display_name,
            )
        price = account.sudo().service_id.credit_unit_price

        def perform(_items):
            failures = []
            for engine in engines:
                try:
                    company = call(engine)
                except UserError as error:
                    failures.append(str(error))
                    continue
                if company_data.has_enrichment(company):
                    return [{"success": True, "company": company, "engine": engine}]
            return [{"success": False, "error": failures[0] if failures else self._local_not_found_reason()}]

        try:
            result = self.env["iap.credit.dispatch"]._dispatch(
                account,
                [subject],
                price=lambda _item: price,
                perform=perform,
                description=self.env._("Company data: %(subject)s", subject=subject[:MAX_QUERY_LENGTH]),
            )
        except InsufficientCreditError:
            return {"credit_error": True}, False
        outcome = result.outcomes[0]
        if not outcome["success"]:
            return False, self.env._("%(reason)s No credit was charged.", reason=outcome["error"])
        company = {key: value for key, value in outcome["company"].items() if key not in ENGINE_KEYS}
        _logger.info(
            "Partner autocomplete: company data from %s for %s credits", outcome["engine"].name, result.credits_charged
        )
        return {"data": company}, False

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _local_text(self, value):
        """A parameter sent by the client, as text: stripped, capped, or None."""
        if not isinstance(value, str):
            return None
        return value.strip()[:MAX_QUERY_LENGTH] or None

    def _local_not_found_reason(self):
        return self.env._("No company data was found.")
