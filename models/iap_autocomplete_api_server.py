# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Server mode: partner autocomplete answered for client databases."""

from odoo import api, models

# Client databases wait 15 s for the answer (stock `_contact_iap`): the engines get less.
SERVER_TIMEOUT = 10


class IapAutocompleteApi(models.AbstractModel):
    _inherit = "iap.autocomplete.api"

    @api.model
    def _server_answer(self, account, action, params):
        """The result of a client database's call ``/api/dnb/1/<action>``, in the shape the
        stock client reads (`res.partner.autocomplete_by_*`, `_process_enriched_response`):
        ``data`` (a list of suggestions, or one company's data), ``error`` (a reason, or
        False) and ``credit_error`` (the account could not pay: nothing was charged).

        Answered by the engines and charged on the client's account exactly as this
        database's own autocomplete is (`_local_answer`).

        :param account: the client's local `partner_autocomplete` account (sudo)
        :param dict params: the action's own parameters (``query``, ``duns``, ...)
        """
        answer, error = self._local_answer(account, action, params, timeout=SERVER_TIMEOUT)
        empty = [] if action.startswith("search_") else {}
        if answer and answer.get("credit_error"):
            return {"data": empty, "error": False, "credit_error": True}
        if answer:
            return {"data": answer.get("data") or empty, "error": False, "credit_error": False}
        return {"data": empty, "error": error or True, "credit_error": False}
