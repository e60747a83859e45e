# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The release of expired holds (cron), the settlement of a hold, and the demo data's spending."""

from odoo import api, fields, models


class IapAccount(models.Model):
    _inherit = "iap.account"

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_release_expired_holds(self, batch_size=500):
        """Scheduled action: release reservations past their expiry, batch by batch."""
        while True:
            released = self._release_expired_holds(limit=batch_size)
            if released < batch_size:
                self.env["ir.cron"]._commit_progress(released, remaining=0)
                return
            if not self.env["ir.cron"]._commit_progress(released):
                return

    @api.model
    def _release_expired_holds(self, limit=500):
        """Release up to ``limit`` reservations past their expiry.

        Such holds are left by work that never finished, e.g. a worker that died between
        the hold and the capture; their credits become available again, unless the hold's
        origin records its work as done (see `_credits_settle`): then they are captured.

        :return: how many reservations were released
        """
        self.env.cr.execute(
            """
            SELECT t.id FROM iap_credit_transaction t
             WHERE t.kind = 'reservation' AND t.hold_expires_at < %s
               AND NOT EXISTS (SELECT 1 FROM iap_credit_transaction c WHERE c.hold_id = t.id)
             ORDER BY t.id LIMIT %s
            """,
            (fields.Datetime.now(), limit),
        )
        holds = self.env["iap.credit.transaction"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        for hold in holds:
            hold.account_id.sudo()._credits_settle(hold, expired=True)
        return len(holds)

    def _credits_settle(self, hold, expired=False):
        """Close ``hold`` by the outcome its origin recorded: capture what the work it paid
        for is recorded as done, release it otherwise.

        The origin (``hold.origin_ref``) answers through ``_credits_hold_done(hold)``: the
        credits to capture, or None when its work is not recorded as done. Used for holds
        whose capture waits for the caller's commit (`iap.credit.dispatch._dispatch` with
        ``settle_after_commit``), and by the expiry job: a worker that died after its
        business commit, before the capture, left work done that is charged, never given
        back; a hold without such an origin is released.
        """
        self.ensure_one()
        origin = hold.origin_ref
        done = None
        if origin and hasattr(origin, "_credits_hold_done") and origin.exists():
            done = origin._credits_hold_done(hold)
        if done is not None:
            return self._credits_capture(hold, min(done, hold.reserved_change))
        description = self.env._("Expired: %(description)s", description=hold.description) if expired else None
        return self._credits_release(hold, description=description)

    def _demo_spend(self, credits, description):
        """Demo data: a charge and a hold released, so the ledger shows every kind of row."""
        with self._credits_charge(credits, description, reference="demo"):
            pass
        self._credits_release(self._credits_reserve(credits, description, reference="demo"))
