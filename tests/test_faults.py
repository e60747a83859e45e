# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Faults of real workers: one that dies holding credits, two that collide on an account.

Each worker is a real database connection of its own (``self.registry.cursor()``), with
its own transaction and snapshot, as an Odoo worker has. What they commit is invisible
to the test transaction, so the data is created and checked through such cursors and
deleted with SQL at the end (ledger rows cannot be deleted through the ORM). The commits
below are those workers' own, never the test cursor's.
"""

import time
from datetime import timedelta
from functools import partial

from psycopg2.errors import SerializationFailure

from odoo import fields
from odoo.exceptions import UserError
from odoo.service.model import retrying

from .common import CommittedAccountCase

CREDITS = 10


class TestFaults(CommittedAccountCase):
    COMMITTED_CREDITS = CREDITS
    COMMITTED_ACCOUNT_NAME = "Fault test account"

    def _worker(self):
        """A new worker: its own connection, its own transaction. Close it when done."""
        cr = self.registry.cursor()
        env = self._worker_env(cr)
        return cr, env["iap.account"].browse(self.account_id)

    def assertCommitted(self, balance, reserved=0.0, captures=None):
        """Check what is committed: the stored balances, and that they are the ledger's sums."""
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT a.credit_balance, a.credit_reserved, a.credit_available, a.transaction_count,
                       SUM(t.credits), SUM(t.reserved_change), COUNT(t.id),
                       COUNT(t.id) FILTER (WHERE t.kind = 'capture'),
                       MIN(t.balance_after - t.reserved_after)
                  FROM iap_account a JOIN iap_credit_transaction t ON t.account_id = a.id
                 WHERE a.id = %s GROUP BY a.id
                """,
                [self.account_id],
            )
            (stored_balance, stored_reserved, available, count, sum_credits, sum_reserved, rows, capture_rows,
             lowest) = cr.fetchone()  # fmt: skip
        self.assertAlmostEqual(stored_balance, balance, places=4, msg="committed balance")
        self.assertAlmostEqual(stored_reserved, reserved, places=4, msg="committed reserved")
        self.assertAlmostEqual(available, balance - reserved, places=4, msg="committed available")
        self.assertAlmostEqual(sum_credits, balance, places=4, msg="balance != Σ ledger credits")
        self.assertAlmostEqual(sum_reserved, reserved, places=4, msg="reserved != Σ ledger reserved changes")
        self.assertEqual(count, rows, "transaction_count != number of ledger rows")
        self.assertGreaterEqual(lowest, 0, "a ledger row shows available credits below zero")
        if captures is not None:
            self.assertEqual(capture_rows, captures, "number of captures")

    # ------------------------------------------------------------
    # A WORKER DIES BETWEEN HOLD AND CAPTURE
    # ------------------------------------------------------------

    def test_dead_worker_hold_expires_and_is_released(self):
        # The worker holds 4 credits for work spanning transactions, commits the hold,
        # then dies: its connection is closed and the capture never comes.
        cr, account = self._worker()
        expires_at = fields.Datetime.now() + timedelta(seconds=2)
        hold = account._credits_reserve(4, "Work of a worker that dies", reference="dead-worker", expires_at=expires_at)
        hold_id = hold.id
        cr.commit()  # pylint: disable=invalid-commit
        cr.close()
        self.assertCommitted(CREDITS, reserved=4)

        # Before its expiry the job leaves the hold alone: the worker may still be working.
        with self.registry.cursor() as cr:
            self._worker_env(cr)["iap.account"]._release_expired_holds()
        self.assertCommitted(CREDITS, reserved=4)

        # Past its expiry the job gives the credits back, once.
        time.sleep(3)
        with self.registry.cursor() as cr:
            self._worker_env(cr)["iap.account"]._release_expired_holds()
        with self.registry.cursor() as cr:
            self._worker_env(cr)["iap.account"]._release_expired_holds()
        self.assertCommitted(CREDITS, reserved=0, captures=0)
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT kind, description FROM iap_credit_transaction WHERE hold_id = %s",
                [hold_id],
            )
            self.assertEqual(cr.fetchall(), [("release", "Expired: Work of a worker that dies")])

        # A worker that comes back late cannot capture the released hold any more.
        cr, account = self._worker()
        try:
            with self.assertRaisesRegex(UserError, "already captured or released"):
                account._credits_capture(account.env["iap.credit.transaction"].browse(hold_id))
            cr.rollback()
        finally:
            cr.close()
        self.assertCommitted(CREDITS, reserved=0, captures=0)

    # ------------------------------------------------------------
    # SERIALIZATION FAILURES DURING A CAPTURE
    # ------------------------------------------------------------

    def _commit_hold(self, credits, reference):
        cr, account = self._worker()
        try:
            hold_id = account._credits_reserve(credits, f"Hold {reference}", reference=reference).id
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        return hold_id

    def _capture(self, account, hold_id, meanwhile=None):
        """Capture the hold in the worker's transaction; ``meanwhile`` runs in another
        worker, committed after this transaction took its snapshot and before the capture."""
        hold = account.env["iap.credit.transaction"].browse(hold_id)
        self.assertTrue(hold.reserved_change)  # the first read takes this transaction's snapshot
        if meanwhile:
            other_cr, other_account = self._worker()
            try:
                meanwhile(other_account)
                other_cr.commit()  # pylint: disable=invalid-commit
            finally:
                other_cr.close()
        return account._credits_capture(hold)

    @staticmethod
    def _concurrent_charge(account):
        with account._credits_charge(2, "Concurrent charge", reference="concurrent"):
            pass

    def test_serialization_failure_writes_nothing_and_retry_counts_once(self):
        """A capture whose snapshot predates another worker's charge on the account fails
        with a serialization failure and writes nothing; run again, it counts once."""
        hold_id = self._commit_hold(3, "slow-work")
        cr, account = self._worker()
        try:
            with self.assertRaises(SerializationFailure):
                self._capture(account, hold_id, meanwhile=self._concurrent_charge)
            cr.rollback()
            self.assertCommitted(CREDITS - 2, reserved=3, captures=1)

            captured = self._capture(account, hold_id)
            self.assertEqual(captured.credits, -3)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        self.assertCommitted(CREDITS - 2 - 3, reserved=0, captures=2)

    def test_serialization_failure_retried_by_odoo(self):
        """The conflict happens under Odoo's `retrying` (what a request runs in): the
        second call succeeds and the hold is captured once."""
        hold_id = self._commit_hold(3, "slow-work")
        calls = []

        def capture(account):
            calls.append(account.env.cr)
            meanwhile = self._concurrent_charge if len(calls) == 1 else None
            return self._capture(account, hold_id, meanwhile=meanwhile)

        cr, account = self._worker()
        try:
            captured = retrying(partial(capture, account), account.env)
            self.assertEqual(captured.credits, -3)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        self.assertEqual(len(calls), 2, "the first call failed on serialization and was retried")
        self.assertCommitted(CREDITS - 2 - 3, reserved=0, captures=2)

    def test_two_workers_capture_one_hold(self):
        """Two workers capture the same hold at once: one wins, the other's retry finds the
        hold closed and fails cleanly; the credits are charged once."""
        hold_id = self._commit_hold(4, "shared-hold")
        cr_a, account_a = self._worker()
        try:

            def capture_in_b(account_b):
                account_b._credits_capture(account_b.env["iap.credit.transaction"].browse(hold_id))

            with self.assertRaises(SerializationFailure):
                self._capture(account_a, hold_id, meanwhile=capture_in_b)
            cr_a.rollback()
            # The retry sees B's capture: the hold is closed, nothing is charged again.
            with self.assertRaisesRegex(UserError, "already captured or released"):
                account_a._credits_capture(account_a.env["iap.credit.transaction"].browse(hold_id))
            cr_a.rollback()
        finally:
            cr_a.close()
        self.assertCommitted(CREDITS - 4, reserved=0, captures=1)
