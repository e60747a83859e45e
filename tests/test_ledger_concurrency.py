# Part of iap_credits. See LICENSE file for full copyright and licensing details.

import logging
import threading
import time

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api

from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

from .common import CommittedAccountCase

_logger = logging.getLogger(__name__)

WORKERS = 8
CREDITS = 400
ATTEMPTS_PER_WORKER = 100  # 800 attempts for 400 credits: half must be refused


class TestLedgerConcurrency(CommittedAccountCase):
    """Workers with their own database connections spend from one account at once.

    The test transaction is invisible to other connections, so the account is created
    and committed through a separate cursor, and removed again at the end.
    """

    COMMITTED_CREDITS = CREDITS
    COMMITTED_ACCOUNT_NAME = "Concurrency test account"

    def _worker(self, stats, barrier):
        """Spend one credit per transaction; retry a transaction that lost a race."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["iap.account"].browse(self.account_id)
            barrier.wait()
            for attempt in range(ATTEMPTS_PER_WORKER):
                while True:
                    try:
                        with account._credits_charge(
                            1, "concurrent spend", reference=f"{threading.get_ident()}-{attempt}"
                        ):
                            pass
                        cr.commit()  # pylint: disable=invalid-commit
                        stats["charged"] += 1
                        break
                    except SerializationFailure:
                        # Another worker committed on this account since our snapshot:
                        # nothing of ours was written; start the transaction again.
                        cr.rollback()
                        env.invalidate_all()
                        stats["retries"] += 1
                        time.sleep(0.001)
                    except InsufficientCreditError:
                        cr.rollback()
                        stats["refused"] += 1
                        break

    def test_parallel_spending_never_overspends(self):
        barrier = threading.Barrier(WORKERS)
        stats = [{"charged": 0, "refused": 0, "retries": 0} for _i in range(WORKERS)]
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
        retries = sum(s["retries"] for s in stats)
        _logger.info(
            "%s workers, %s attempts: %s charged, %s refused, %s serialization retries, %.2fs",
            WORKERS,
            WORKERS * ATTEMPTS_PER_WORKER,
            charged,
            refused,
            retries,
            elapsed,
        )
        # The figures quoted in the closing note.
        print(  # pylint: disable=print-used
            f"\n[concurrency] {WORKERS} workers, {WORKERS * ATTEMPTS_PER_WORKER} attempts on {CREDITS} credits: "
            f"{charged} charged, {refused} refused, {retries} serialization retries, {elapsed:.2f}s"
        )
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
