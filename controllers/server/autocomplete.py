# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: partner autocomplete for client databases (`/api/dnb/1/<action>`).

The stock client (`partner_autocomplete/models/iap_autocomplete_api.py`, `_contact_iap`)
sends the action's parameters plus ``db_uuid``, ``db_version``, ``db_lang``,
``account_token``, and the company's ``country_code`` and ``zip``; it reads ``data``,
``error`` and ``credit_error`` from the result.
"""

from odoo import http

from .client_account import client_account, client_env
from .protocol import iap_route

SERVICE = "partner_autocomplete"


class IapServerAutocomplete(http.Controller):
    def _answer(self, action, account_token, db_uuid, db_lang, params):
        account = client_account(SERVICE, account_token, db_uuid)
        env = client_env(db_lang)
        return env["iap.autocomplete.api"].sudo()._server_answer(account, action, params)

    @iap_route("/api/dnb/1/search_by_name")
    def search_by_name(
        self,
        account_token=None,
        query=None,
        query_country_code=None,
        db_uuid=None,
        db_version=None,
        db_lang=None,
        country_code=None,
        zip=None,
    ):
        params = {"query": query, "query_country_code": query_country_code}
        return self._answer("search_by_name", account_token, db_uuid, db_lang, params)

    @iap_route("/api/dnb/1/search_by_vat")
    def search_by_vat(
        self,
        account_token=None,
        query=None,
        query_country_code=None,
        db_uuid=None,
        db_version=None,
        db_lang=None,
        country_code=None,
        zip=None,
    ):
        params = {"query": query, "query_country_code": query_country_code}
        return self._answer("search_by_vat", account_token, db_uuid, db_lang, params)

    @iap_route("/api/dnb/1/enrich_by_duns")
    def enrich_by_duns(
        self,
        account_token=None,
        duns=None,
        db_uuid=None,
        db_version=None,
        db_lang=None,
        country_code=None,
        zip=None,
    ):
        return self._answer("enrich_by_duns", account_token, db_uuid, db_lang, {"duns": duns})

    @iap_route("/api/dnb/1/enrich_by_gst")
    def enrich_by_gst(
        self,
        account_token=None,
        gst=None,
        db_uuid=None,
        db_version=None,
        db_lang=None,
        country_code=None,
        zip=None,
    ):
        return self._answer("enrich_by_gst", account_token, db_uuid, db_lang, {"gst": gst})

    @iap_route("/api/dnb/1/enrich_by_domain")
    def enrich_by_domain(
        self,
        account_token=None,
        domain=None,
        db_uuid=None,
        db_version=None,
        db_lang=None,
        country_code=None,
        zip=None,
    ):
        return self._answer("enrich_by_domain", account_token, db_uuid, db_lang, {"domain": domain})
