# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import threading
import time

from odoo import SUPERUSER_ID, api

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .common import CommittedAccountCase

_logger = logging.getLogger(__name__)

WORKERS = 16
CREDITS = 400
ATTEMPTS_PER_WORKER = 50  # 800 attempts for 400 credits: half must be refused


class TestLedgerConcurrency(CommittedAccountCase):
    """Workers with their own database connections spend from one account at once, with no
    retry of their own: each waits its turn on the account row (the ledger's transactions
    run at READ COMMITTED) instead of failing with a serialization error.

    The test transaction is invisible to other connections, so the account is created
    and committed through a separate cursor, and removed again at the end.
    """

    COMMITTED_CREDITS = CREDITS
    COMMITTED_ACCOUNT_NAME = "Concurrency test account"

    def _worker(self, stats, barrier):
        """Spend one credit per transaction, never retrying: each attempt must either be
        charged or refused for credit; any other error is counted and fails the test."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["iap.account"].browse(self.account_id)
            barrier.wait()
            for attempt in range(ATTEMPTS_PER_WORKER):
                try:
                    with account._credits_charge(1, "concurrent spend", reference=f"{threading.get_ident()}-{attempt}"):
                        pass
                    cr.commit()  # pylint: disable=invalid-commit
                    stats["charged"] += 1
                except InsufficientCreditError:
                    cr.rollback()
                    stats["refused"] += 1
                except Exception as error:  # any other outcome is the failure measured
                    cr.rollback()
                    stats["errors"].append(repr(error))

    def test_parallel_spending_never_overspends(self):
        barrier = threading.Barrier(WORKERS)
        stats = [{"charged": 0, "refused": 0, "errors": []} for _i in range(WORKERS)]
        threads = [threading.Thread(target=self._worker, args=(stats[i], barrier)) for i in range(WORKERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.monotonic() - started
        self.assertFalse(any(thread.is_alive() for thread in threads), "a worker hung")

        charged = sum(s["charged"] for s in stats)
        refused = sum(s["refused"] for s in stats)
        errors = [error for s in stats for error in s["errors"]]
        _logger.info(
            "%s workers, %s attempts: %s charged, %s refused, %s errors, %.2fs",
            WORKERS,
            WORKERS * ATTEMPTS_PER_WORKER,
            charged,
            refused,
            len(errors),
            elapsed,
        )
        # The figures quoted in the closing note.
        print(  # pylint: disable=print-used
            f"\n[concurrency] {WORKERS} workers, {WORKERS * ATTEMPTS_PER_WORKER} attempts on {CREDITS} credits: "
            f"{charged} charged, {refused} refused, {len(errors)} errors, {elapsed:.2f}s"
        )
        self.assertEqual(errors, [], "a spender failed for another reason than credit (no caller retries)")
        self.assertEqual(charged, CREDITS, "exactly the credits available were spent")
        self.assertEqual(refused, WORKERS * ATTEMPTS_PER_WORKER - CREDITS)

        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT a.credit_balance, a.credit_reserved, a.credit_available,
                       SUM(t.credits), SUM(t.reserved_change),
                       COUNT(*) FILTER (WHERE t.kind = 'capture'),
                       MIN(t.balance_after)
                  FROM iap_account a JOIN iap_credit_transaction t ON t.account_id = a.id
                 WHERE a.id = %s GROUP BY a.id
                """,
                [self.account_id],
            )
            balance, reserved, available, sum_credits, sum_reserved, captures, lowest = cr.fetchone()
        self.assertEqual((balance, reserved, available), (0, 0, 0), "exact final balance")
        self.assertEqual((sum_credits, sum_reserved), (0, 0), "stored balances equal the ledger sums")
        self.assertEqual(captures, CREDITS)
        self.assertGreaterEqual(lowest, 0, "the balance was never negative")
