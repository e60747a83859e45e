# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Faults of real workers: one that dies holding credits, two that collide on an account,
one that dies at each crash point of a charge.

Each worker is a real database connection of its own (``self.registry.cursor()``), with
its own transaction and snapshot, as an Odoo worker has. What they commit is invisible
to the test transaction, so the data is created and checked through such cursors and
deleted with SQL at the end (ledger rows cannot be deleted through the ORM). The commits
below are those workers' own, never the test cursor's.
"""

import threading
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

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
        cr.close()  # the hold was committed by the ledger before the work started
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
    # CONCURRENT MOVEMENTS: THEY WAIT, THEY NEVER FAIL
    # ------------------------------------------------------------

    def _commit_hold(self, credits, reference):
        """A hold made by a worker: committed by the ledger itself, whatever the worker does."""
        cr, account = self._worker()
        try:
            hold_id = account._credits_reserve(credits, f"Hold {reference}", reference=reference).id
        finally:
            cr.close()  # rolled back: the hold is the ledger's, committed already
        return hold_id

    @staticmethod
    def _concurrent_charge(account):
        with account._credits_charge(2, "Concurrent charge", reference="concurrent"):
            pass

    def test_capture_after_another_workers_charge(self):
        """A capture whose transaction's snapshot predates another worker's charge on the
        account succeeds (today's design failed it with a serialization error), and the
        worker's own transaction, which never wrote the account row, commits."""
        hold_id = self._commit_hold(3, "slow-work")
        cr, account = self._worker()
        try:
            hold = account.env["iap.credit.transaction"].browse(hold_id)
            self.assertTrue(hold.reserved_change)  # the first read takes this transaction's snapshot
            other_cr, other_account = self._worker()
            try:
                self._concurrent_charge(other_account)
            finally:
                other_cr.close()
            captured = account._credits_capture(hold)
            self.assertEqual(captured.credits, -3)
            # The caller sees the balances the ledger committed, newer than its snapshot.
            self.assertAlmostEqual(account.credit_balance, CREDITS - 2 - 3, places=4)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        self.assertCommitted(CREDITS - 2 - 3, reserved=0, captures=2)

    def test_two_workers_capture_one_hold_at_once(self):
        """Two workers capture the same hold at the same instant: both wait for the account
        row, both passed the guard's subquery before; the unique closing key lets one
        capture and turns the other into an answer with that same capture."""
        hold_id = self._commit_hold(4, "shared-hold")
        blocker = self.registry.cursor()
        results, errors = {}, []
        try:
            # A third transaction locks the account row, so that both captures queue behind it.
            blocker.execute("SELECT 1 FROM iap_account WHERE id = %s FOR UPDATE", [self.account_id])

            def capture(name):
                cr, account = self._worker()
                try:
                    results[name] = account._credits_capture(account.env["iap.credit.transaction"].browse(hold_id)).id
                    cr.commit()  # pylint: disable=invalid-commit
                except Exception as error:
                    errors.append(repr(error))
                finally:
                    cr.close()

            threads = [threading.Thread(target=capture, args=(name,)) for name in "ab"]
            for thread in threads:
                thread.start()
            self._wait_for_lock_waiters(2)
            blocker.rollback()
            for thread in threads:
                thread.join(timeout=30)
        finally:
            blocker.close()
        self.assertEqual(errors, [])
        self.assertEqual(results["a"], results["b"], "both answered with the one capture")
        self.assertCommitted(CREDITS - 4, reserved=0, captures=1)

    def test_movement_of_a_worker_that_locked_the_account(self):
        """A worker that locked the account row itself (e.g. a refund reading the available
        credits) has its movement made in its own transaction: the ledger's would wait
        forever for that lock, which PostgreSQL cannot see as a deadlock."""
        done, errors, pids = [], [], []

        def refund():
            cr, account = self._worker()
            try:
                cr.execute("SELECT pg_backend_pid()")
                pids.append(cr.fetchone()[0])
                account.lock_for_update()
                account._credits_debit(3, "refund of a locked account")
                cr.commit()  # pylint: disable=invalid-commit
                done.append(True)
            except Exception as error:
                errors.append(repr(error))
            finally:
                cr.close()

        thread = threading.Thread(target=refund)
        thread.start()
        thread.join(timeout=20)
        hung = thread.is_alive()
        if hung:  # free the ledger's transaction: end the worker's, which holds the lock
            with self.registry.cursor() as cr:
                cr.execute("SELECT pg_terminate_backend(%s)", pids)
            thread.join(timeout=30)
        self.assertFalse(hung, "the movement waited forever for its own worker's lock")
        self.assertEqual((done, errors), ([True], []))
        self.assertCommitted(CREDITS - 3)

    def _wait_for_lock_waiters(self, count, timeout=20):
        """Wait until ``count`` connections wait for a lock (the account row's)."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cr.fetchone()[0] >= count:
                    return
                cr.rollback()
                time.sleep(0.05)
        self.fail(f"{count} workers never waited for the account row")

    def test_movements_stay_in_the_caller_transaction_while_modules_load(self):
        """While the registry is not ready (modules installing or upgrading, whose loading
        transaction may hold a table lock on iap_account), the ledger moves credits in the
        caller's transaction rather than in a committed transaction of its own."""
        cr, account = self._worker()
        try:
            self.assertFalse(account._ledger_uses_caller(), "a worker's movements are the ledger's own transactions")
            self.patch(self.registry, "ready", False)  # as while modules load
            self.assertTrue(account._ledger_uses_caller())
            account._credits_grant(5, "Granted while modules load")
            account.invalidate_recordset()
            self.assertEqual(account.credit_balance, CREDITS + 5, "the caller sees its own movement")
            self.assertCommitted(CREDITS)  # nothing committed beside the caller's transaction
            cr.commit()  # pylint: disable=invalid-commit
            self.assertCommitted(CREDITS + 5)
        finally:
            cr.close()

    # ------------------------------------------------------------
    # CRASH POINTS (see the table of `iap.credit.dispatch`)
    # ------------------------------------------------------------

    def test_crash_after_the_hold(self):
        """The worker dies after its hold, while the gateway works (or after it answered,
        before the capture): the hold is committed, so the credits stay held, and the
        expiry job releases them once expired: nothing is charged."""
        cr, account = self._worker()
        hold_id = account._credits_reserve(
            2, "Dies during the gateway call", expires_at=fields.Datetime.now() - timedelta(seconds=1)
        ).id
        cr.close()  # the worker's transaction is rolled back, the hold is not
        self.assertCommitted(CREDITS, reserved=2)
        with self.registry.cursor() as cr:
            self.assertEqual(self._worker_env(cr)["iap.account"]._release_expired_holds(), 1)
        self.assertCommitted(CREDITS, reserved=0, captures=0)
        with self.registry.cursor() as cr:
            cr.execute("SELECT kind FROM iap_credit_transaction WHERE hold_id = %s", [hold_id])
            self.assertEqual(cr.fetchall(), [("release",)])

    def test_crash_after_the_capture(self):
        """The worker dies after the capture, before its own transaction commits: the
        charge and the record of the work (committed with it) stay; the retry of the
        worker finds the hold captured and charges nothing more."""
        hold_id = self._commit_hold(3, "done-work")
        cr, account = self._worker()

        def record(env):
            env["ir.config_parameter"].set_param(f"iap_credits.test_work_{hold_id}", "done")

        account._credits_capture(account.env["iap.credit.transaction"].browse(hold_id), record=record)
        account.env["ir.config_parameter"].set_param(f"iap_credits.test_business_{hold_id}", "done")
        cr.close()  # dies before the business transaction commits
        self.addCleanup(self._drop_params, hold_id)
        self.assertCommitted(CREDITS - 3, reserved=0, captures=1)
        with self.registry.cursor() as cr:
            params = self._worker_env(cr)["ir.config_parameter"]
            self.assertEqual(
                params.get_param(f"iap_credits.test_work_{hold_id}"), "done", "work committed with its charge"
            )
            self.assertFalse(params.get_param(f"iap_credits.test_business_{hold_id}"), "the business was rolled back")

        # The retry captures the same hold again: the first capture is the answer.
        cr, account = self._worker()
        try:
            again = account._credits_capture(account.env["iap.credit.transaction"].browse(hold_id), record=record)
            self.assertEqual(again.credits, -3)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        self.assertCommitted(CREDITS - 3, reserved=0, captures=1)

    def test_crash_before_the_business_commit_of_a_charge(self):
        """`_credits_charge` ends (captured), then the worker's transaction fails: the
        charge is committed, the worker's rows are not; a release attempt of the captured
        hold (e.g. by the expiry job) is refused and moves nothing."""
        cr, account = self._worker()
        with account._credits_charge(1, "Charged then rolled back", reference="rolled-back") as charge:
            hold_id = charge.hold.id
        cr.close()
        self.assertCommitted(CREDITS - 1, reserved=0, captures=1)
        with self.registry.cursor() as cr:
            env = self._worker_env(cr)
            self.assertEqual(env["iap.account"]._release_expired_holds(), 0, "a captured hold never expires")
            with self.assertRaisesRegex(UserError, "already captured or released"):
                env["iap.account"].browse(self.account_id)._credits_release(
                    env["iap.credit.transaction"].browse(hold_id)
                )
        self.assertCommitted(CREDITS - 1, reserved=0, captures=1)

    def _drop_params(self, hold_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM ir_config_parameter WHERE key LIKE %s", [f"iap_credits.test_%_{hold_id}"])

    def test_alert_state_moves_in_the_ledgers_transaction(self):
        """A charge crossing the warning threshold moves the account's alert state in the
        movement's own transaction: committed with it, and the worker's transaction (whose
        snapshot predates it) never writes the account row, so it commits cleanly."""
        with self.registry.cursor() as cr:
            self._worker_env(cr)["iap.account"].browse(self.account_id).write(
                {"warning_enabled": True, "warning_threshold": 8, "warning_email": "alerts@example.com"}
            )
        cr, account = self._worker()
        try:
            self.assertEqual(account.warning_alert_seq, 0)  # the snapshot
            account._credits_debit(3, "Crosses the threshold")
            self.assertEqual(account.warning_alert_seq, 1, "the caller sees the state the ledger committed")
            with account._credits_charge(1, "Stays below"):
                pass
            self.assertEqual(account.warning_alert_seq, 1)
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT warning_alert_seq, warning_alert_level FROM iap_account WHERE id = %s", [self.account_id]
            )
            self.assertEqual(cr.fetchone(), (1, 8))
        self.assertCommitted(CREDITS - 3 - 1, reserved=0, captures=1)
