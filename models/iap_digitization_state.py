# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The states of a document's digitization and the transitions between them."""

from markupsafe import Markup

from odoo import models


class IapDigitizationState(models.AbstractModel):
    """The outcome of a digitization, recorded on the record and in its chatter."""

    _inherit = "iap.digitization.mixin"

    def _digitization_set_done(self, values, credits, account):
        self.sudo().write({"digitization_state": "done", "digitization_error": False, "digitization_error_code": False})
        currency = self._digitization_find_currency(values.get("currency")) or self._digitization_default_currency()
        found = Markup("").join(
            Markup("<li>%s: %s</li>") % (label, account._digitization_display_value(values[key], currency))
            for key, label in self._digitization_found_labels().items()
            if values.get(key)
        )
        self.message_post(
            body=Markup("%s<ul>%s</ul>%s")
            % (
                self._digitization_done_message(),
                found,
                self.env._(
                    "%(credits)s spent from %(account)s.",
                    credits=account._format_credits(credits),
                    account=account.display_name,
                ),
            )
        )

    def _digitization_default_currency(self):
        """The currency of the amounts found when the document names none: the record's."""
        return self["currency_id"] if "currency_id" in self._fields else self.env.company.currency_id

    def _digitization_done_message(self):
        return self.env._("Document digitized: empty fields were filled.")

    def _digitization_set_failed(self, code, reason):
        self.sudo().write(
            {"digitization_state": "failed", "digitization_error_code": code, "digitization_error": reason}
        )
        self.message_post(
            body=self.env._("Document digitization failed, nothing was charged: %(reason)s", reason=reason)
        )
