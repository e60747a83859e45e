# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The alert state of `iap.account`, kept by the ledger's hook (see `iap_account_alert.py`).

How an alert happens (one alert per crossing):

* The levels of an account are its *Warning Threshold* and its *Earlier Warnings*,
  stored normalized in ``warning_levels``. ``warning_next_level`` is the level below
  which the next alert is due; ``warning_alert_level`` the lowest level the account
  was alerted (or is due to be alerted) for, while it stays below it.
* When credits move, the ledger's hook (:meth:`_credits_moved`) hands the new
  available credits to :meth:`_warning_check_move`, which compares them with those
  two cached values: no query at all while the account has no levels or stays on the
  same side of them. On a crossing, one ``UPDATE`` of the account row moves the state,
  computed from the row as committed (so a concurrent movement never makes it miss
  nor double a crossing), and a crossing down also triggers the alert job: mails are
  never rendered or sent inside the transaction that moves credits.
  Each crossing down increments ``warning_alert_seq``; the alert of crossing *n* is
  due until the job has logged an `iap.credit.alert` with that sequence.
* A top-up to the alerted level or above re-arms the account for that level; a
  top-up above every level before the job ran cancels the alert.
"""

from odoo import api, models
from odoo.tools import SQL

from .iap_account_alert import ALERT_CRON_XMLID, ALERT_STATE_FIELDS


class IapAccount(models.Model):
    _inherit = "iap.account"

    # ------------------------------------------------------------
    # ALERT STATE — private
    # ------------------------------------------------------------

    @api.model
    def _credits_moved_fields(self):
        """Override of the ledger's hook: the two values :meth:`_warning_check_move` compares
        come back with each movement, in the cache before the hook runs."""
        return super()._credits_moved_fields() | {"warning_next_level", "warning_alert_level"}

    def _credits_moved(self, available):
        """Override of the ledger's hook: move the alert state on a crossing."""
        written = super()._credits_moved(available)
        if self._warning_check_move(available):
            return [*written, *ALERT_STATE_FIELDS]
        return written

    def _warning_check_move(self, available):
        """Hot path, called when credits moved: move the alert state on a crossing.

        Reads only values already in the cache (the ledger returns them with the
        movement), so an account without levels, or still on the same side of them,
        costs no query.

        :param float available: the available credits right after the movement
        :return: whether the alert state was evaluated again (and so written)
        """
        next_level, alert_level = self.warning_next_level, self.warning_alert_level
        if (next_level and available < next_level) or (alert_level and available >= alert_level):
            self._warning_update_states()
            return True
        return False

    def _warning_reset(self):
        """Forget the alert state of these accounts (their levels changed) and evaluate it anew."""
        if not self:
            return
        self.flush_recordset(["warning_levels", *ALERT_STATE_FIELDS])
        self.env.cr.execute(
            SQL(
                """
                UPDATE iap_account a
                   SET warning_alert_level = NULL,
                       warning_next_level = (SELECT max(x) FROM unnest(%(levels)s) x)
                 WHERE a.id = ANY(%(ids)s)
                """,
                levels=self._warning_sql_levels(),
                ids=self.ids,
            )
        )
        self.invalidate_recordset(ALERT_STATE_FIELDS)
        self._warning_update_states()

    def _warning_update_states(self):
        """Move the alert state of the accounts that crossed a level, in one statement.

        On ``self`` (the hot path, an account) or, on an empty recordset, on every
        account (the job's catch-up). An account that fell below its next level gets
        the lowest level it is now below as alerted level, and a new crossing number
        (an alert due); one
        whose credits rose to its alerted level or above is re-armed: its alerted level
        becomes the lowest level it is still below, if any. When alerts got queued, the
        alert job is triggered.

        The crossings are read with the rows' locks (``FOR NO KEY UPDATE``): a row that
        another transaction changed meanwhile (a movement, the hook of another one, the
        job's catch-up) is read again once that one committed, at READ COMMITTED, so two
        of them never count one crossing twice.

        :return: the ids of the accounts whose alert got queued
        """
        where = SQL("a.id = ANY(%s)", self.ids) if self else SQL("TRUE")
        if not self:
            self.flush_model(["warning_levels", *ALERT_STATE_FIELDS])
        rows = self.env.execute_query(
            SQL(
                """
                WITH crossed AS (
                    SELECT a.id, a.credit_available < a.warning_next_level AS fell, %(levels)s AS levels,
                           (SELECT min(x) FROM unnest(%(levels)s) x WHERE a.credit_available < x) AS level
                      FROM iap_account a
                     WHERE a.credit_mode = 'local' AND a.warning_levels IS NOT NULL AND %(where)s
                       AND (a.credit_available < a.warning_next_level OR a.credit_available >= a.warning_alert_level)
                       FOR NO KEY UPDATE OF a
                )
                UPDATE iap_account a
                   SET warning_alert_level = c.level,
                       warning_next_level = (
                           SELECT max(x) FROM unnest(c.levels) x WHERE c.level IS NULL OR x < c.level),
                       warning_alert_seq = COALESCE(a.warning_alert_seq, 0) + CASE WHEN c.fell THEN 1 ELSE 0 END
                  FROM crossed c
                 WHERE a.id = c.id
             RETURNING a.id, c.fell
                """,
                levels=self._warning_sql_levels(),
                where=where,
            )
        )
        if not rows:
            return []
        self.browse([row[0] for row in rows]).invalidate_recordset(ALERT_STATE_FIELDS)
        queued = [account_id for account_id, fell in rows if fell]
        if queued:
            self.env.ref(ALERT_CRON_XMLID)._trigger()
        return queued

    @api.model
    def _warning_sql_levels(self):
        return SQL("string_to_array(a.warning_levels, ',')::numeric[]")
