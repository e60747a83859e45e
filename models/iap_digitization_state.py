# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The states of a document's digitization and the transitions between them.

Every change of ``digitization_state`` goes through a ``_digitization_set_<state>`` method
that checks the record's current state (`iap.state.machine.mixin`): a late outcome (a
failure reported after the document was read, a second worker's result) never moves a
record back.
"""

from markupsafe import Markup

from odoo import fields, models

# The states each state may be reached from (``False``: never requested).
DIGITIZATION_TRANSITIONS = {
    # A request: a new document, one read or failed before, or a queued one refreshed;
    # never one a worker is reading.
    "to_do": (False, "to_do", "done", "failed"),
    # A claim by the queue: queued, or left in progress by a worker that died.
    "in_progress": ("to_do", "in_progress"),
    # Only a document being read is read.
    "done": ("in_progress",),
    # Refused or crashed while queued or read; never after it was read.
    "failed": ("to_do", "in_progress"),
}


class IapDigitizationState(models.AbstractModel):
    """The outcome of a digitization, recorded on the record and in its chatter."""

    _name = "iap.digitization.mixin"
    _inherit = ["iap.digitization.mixin", "iap.state.machine.mixin"]

    def _digitization_update_state(self, target_state, values=None):
        """Move the records whose state allows it to ``target_state``, with ``values``.

        :param str target_state: a key of :data:`DIGITIZATION_TRANSITIONS`
        :param dict values: the other queue fields written with the state
        :return: the records that moved; the others are left as they are
        """
        return self._state_set("digitization_state", target_state, DIGITIZATION_TRANSITIONS[target_state], values)

    def _digitization_set_to_do(self, attachment, user, source):
        """Queue the records' ``attachment`` for ``user`` (who asked, and whose access
        rights the document is read with).

        :param str source: ``manual`` (Digitize), ``upload`` or ``email``
        :return: the records queued
        """
        return self._digitization_update_state(
            "to_do",
            {
                "digitization_error": False,
                "digitization_error_code": False,
                "digitization_attachment_id": attachment.id,
                "digitization_attempts": 0,
                "digitization_queued_uid": user.id,
                "digitization_queued_date": fields.Datetime.now(),
                "digitization_started_date": False,
                "digitization_source": source,
            },
        )

    def _digitization_set_in_progress(self):
        """Claim the records for a reading, with one more attempt counted on each.

        :return: the records claimed
        """
        claimed = self._digitization_update_state("in_progress", {"digitization_started_date": fields.Datetime.now()})
        for attempts, records in claimed.grouped("digitization_attempts").items():
            records.sudo().digitization_attempts = attempts + 1
        return claimed

    def _digitization_set_done(self, values, credits, account):
        """The document was read and the record filled: done, with what was found and what
        it cost in the chatter.

        :param dict values: the values read
        :param float credits: the credits charged
        :param account: the `iap.account` charged
        :return: the records set done
        """
        done = self._digitization_update_state("done", {"digitization_error": False, "digitization_error_code": False})
        for record in done:
            currency = (
                record._digitization_find_currency(values.get("currency")) or record._digitization_default_currency()
            )
            found = Markup("").join(
                Markup("<li>%s: %s</li>") % (label, account._digitization_display_value(values[key], currency))
                for key, label in record._digitization_found_labels().items()
                if values.get(key)
            )
            record.message_post(
                body=Markup("%s<ul>%s</ul>%s")
                % (
                    record._digitization_done_message(),
                    found,
                    self.env._(
                        "%(credits)s spent from %(account)s.",
                        credits=account._format_credits(credits),
                        account=account.display_name,
                    ),
                )
            )
        return done

    def _digitization_default_currency(self):
        """The currency of the amounts found when the document names none: the record's."""
        return self["currency_id"] if "currency_id" in self._fields else self.env.company.currency_id

    def _digitization_done_message(self):
        return self.env._("Document digitized: empty fields were filled.")

    def _digitization_set_failed(self, code, reason):
        """The document was not read (nothing is charged): failed, with the reason in the
        chatter.

        :param str code: a key of the failure codes (``unreadable``, ``no_credit``, ...)
        :param str reason: why, translated
        :return: the records set failed
        """
        failed = self._digitization_update_state(
            "failed", {"digitization_error_code": code, "digitization_error": reason}
        )
        for record in failed:
            record.message_post(
                body=self.env._("Document digitization failed, nothing was charged: %(reason)s", reason=reason)
            )
        return failed
