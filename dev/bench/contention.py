"""Contention: separate OS processes spending from one account, then from one account each.

Each worker is its own OS process (multiprocessing, spawn) with its own registry and
database connection, like an Odoo worker. An attempt is one transaction: charge 1
credit, commit. Under Odoo's REPEATABLE READ isolation a worker whose snapshot is older
than another worker's commit on the same account row gets a serialization failure: its
transaction wrote nothing, so it is rolled back and the attempt retried after a random
pause of up to ``--retry-backoff-ms`` * 2^n ms (n: retries so far, at most 6), up to
``--max-retries`` times; past that it counts as a clean failure.
An attempt refused for lack of credits counts as refused.

The figures: successful charges per second from the start (all workers released by one
barrier) to the last successful commit; exactness (charges == credits, final balance 0,
no ledger row ever below zero, captures == charges) checked in the database afterwards.
"""

import logging
import multiprocessing
import random
import time

from common import DESCRIPTION, Figure, admin_env, at_least, equal, info, start_odoo
from latency import FLOOR_INSERT

TARGET_RATE = 500.0
# A charge commits two movements (hold, capture); the floor commits one: 0.5x is the ceiling.
TARGET_FLOOR_RATIO = 0.4
FLOOR_UPDATE_GUARDED = """
    UPDATE iap_account
       SET credit_balance = credit_balance - 1, credit_available = credit_available - 1
     WHERE id = %s AND credit_available >= 1
"""

# ------------------------------------------------------------
# WORKER PROCESS
# ------------------------------------------------------------


def worker_main(config_file, database, index, tasks, results, barrier):
    """Entry point of a worker process: load the registry, then run the tasks it is sent."""
    registry = start_odoo(config_file, database)
    # Serialization failures are expected here, counted and retried: Odoo's cursor would
    # log each of them as a "bad query".
    logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
    results.put(("ready", index))
    while (task := tasks.get()) is not None:
        barrier.wait()
        results.put(("done", index, spend(registry, index, **task)))


def spend(registry, index, account_id, attempts, max_retries, backoff_ms, floor=False):
    """Make ``attempts`` attempts to charge 1 credit, one transaction each.

    With ``floor``, an attempt is the bare SQL of one movement instead of a charge, as the
    ledger runs it: ``SET TRANSACTION ISOLATION LEVEL READ COMMITTED``, the guarded UPDATE
    of the account row and the INSERT of a ledger row, then the commit.
    """
    from psycopg2 import errors

    from odoo.addons.iap.tools.iap_tools import InsufficientCreditError

    retryable = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)
    stats = {"charged": 0, "refused": 0, "failed": 0, "retries": 0, "start": time.monotonic(), "last": None}
    with registry.cursor() as cr:
        env = admin_env(cr)
        account = env["iap.account"].browse(account_id)
        floor_params = [account_id, account.sudo().service_id.id, DESCRIPTION, None, env.uid, env.company.id]
        floor_params += [env.uid, env.uid]
        cr.rollback()
        for attempt in range(attempts):
            for tryno in range(max_retries + 1):
                try:
                    if floor:
                        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                        cr.execute(FLOOR_UPDATE_GUARDED, [account_id])
                        if not cr.rowcount:
                            raise InsufficientCreditError("bench floor: no credits left")
                        floor_params[3] = f"floor-{index}-{attempt}"
                        cr.execute(FLOOR_INSERT, floor_params)
                    else:
                        with account._credits_charge(1, DESCRIPTION, reference=f"contention-{index}-{attempt}"):
                            pass
                    cr.commit()
                except retryable:
                    # Nothing of this transaction was written: roll back and try again.
                    cr.rollback()
                    if tryno == max_retries:
                        stats["failed"] += 1
                    else:
                        stats["retries"] += 1
                        # Exponential backoff, as Odoo's `retrying` does, but on the scale of
                        # a charge (milliseconds) rather than of a web request (seconds).
                        time.sleep(random.uniform(0, backoff_ms * 2 ** min(tryno, 6)) / 1000)
                    continue
                except InsufficientCreditError:
                    cr.rollback()
                    stats["refused"] += 1
                else:
                    stats["charged"] += 1
                    stats["last"] = time.monotonic()
                break
    stats["end"] = time.monotonic()
    return stats


# ------------------------------------------------------------
# BENCHMARK (parent process)
# ------------------------------------------------------------


class WorkerPool:
    """``processes`` spawned workers, each with its own registry, kept for several runs."""

    def __init__(self, config_file, database, processes):
        ctx = multiprocessing.get_context("spawn")
        self.results = ctx.Queue()
        self.barrier = ctx.Barrier(processes)
        self.tasks = [ctx.Queue() for _i in range(processes)]
        self.processes = [
            ctx.Process(
                target=worker_main,
                args=(config_file, database, i, self.tasks[i], self.results, self.barrier),
                daemon=True,
            )
            for i in range(processes)
        ]
        for process in self.processes:
            process.start()
        for _process in self.processes:
            self._get("ready")

    def _get(self, kind, timeout=600):
        message = self.results.get(timeout=timeout)
        if message[0] != kind:
            raise RuntimeError(f"unexpected message from a worker: {message!r}")
        return message

    def run(self, tasks):
        for queue, task in zip(self.tasks, tasks, strict=True):
            queue.put(task)
        return [self._get("done")[2] for _task in tasks]

    def close(self):
        for queue in self.tasks:
            queue.put(None)
        for process in self.processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()


def create_accounts(registry, count, credits):
    """Accounts with ``credits`` each, committed so that every worker sees them."""
    with registry.cursor() as cr:
        env = admin_env(cr)
        service = env.ref("sms.iap_service_sms")
        accounts = env["iap.account"].create(
            [
                {
                    "name": f"Bench contention {i + 1}/{count}",
                    "service_id": service.id,
                    "credit_mode": "local",
                    "company_ids": [(6, 0, env.company.ids)],
                }
                for i in range(count)
            ]
        )
        for account in accounts:
            account.sudo()._credits_grant(credits, DESCRIPTION)
        return accounts.ids


def check_ledger(registry, account_ids):
    """What the database says after the run, over the given accounts."""
    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT SUM(a.credit_balance), SUM(a.credit_reserved), MIN(a.credit_available),
                   (SELECT COUNT(*) FROM iap_credit_transaction t
                     WHERE t.account_id = ANY(%(ids)s) AND t.kind = 'capture'),
                   (SELECT MIN(t.balance_after - t.reserved_after) FROM iap_credit_transaction t
                     WHERE t.account_id = ANY(%(ids)s)),
                   (SELECT COUNT(*) FROM (
                        SELECT hold_id FROM iap_credit_transaction t
                         WHERE t.account_id = ANY(%(ids)s) AND t.kind = 'capture'
                         GROUP BY hold_id HAVING COUNT(*) > 1) AS doubles),
                   (SELECT bool_and(a2.credit_balance = s.credits)
                      FROM iap_account a2
                      JOIN (SELECT account_id, SUM(credits) AS credits FROM iap_credit_transaction
                             WHERE account_id = ANY(%(ids)s) GROUP BY account_id) s ON s.account_id = a2.id)
              FROM iap_account a WHERE a.id = ANY(%(ids)s)
            """,
            {"ids": account_ids},
        )
        balance, reserved, min_available, captures, min_row_available, doubles, sums_match = cr.fetchone()
    return {
        "balance": float(balance),
        "reserved": float(reserved),
        "min_available": float(min_available),
        "captures": captures,
        "min_row_available": float(min_row_available),
        "double_captures": doubles,
        "sums_match": bool(sums_match),
    }


def one_run(pool, registry, args, accounts, floor=False):
    """Spend ``args.credits`` credits spread over ``accounts`` accounts, one per worker when many."""
    account_ids = create_accounts(registry, accounts, args.credits / accounts)
    per_worker = args.attempts // args.processes
    tasks = [
        {
            "account_id": account_ids[i % accounts],
            "attempts": per_worker,
            "max_retries": args.max_retries,
            "backoff_ms": args.retry_backoff_ms,
            "floor": floor,
        }
        for i in range(args.processes)
    ]
    stats = pool.run(tasks)
    start = min(s["start"] for s in stats)
    last = max((s["last"] for s in stats if s["last"]), default=start)
    charged = sum(s["charged"] for s in stats)
    ledger = check_ledger(registry, account_ids)
    return {
        "charged": charged,
        "refused": sum(s["refused"] for s in stats),
        "failed": sum(s["failed"] for s in stats),
        "retries": sum(s["retries"] for s in stats),
        "rate": charged / (last - start) if last > start else 0.0,
        "attempts": per_worker * args.processes,
        "seconds": max(s["end"] for s in stats) - start,
        **ledger,
    }


def run(registry, args):
    if args.credits % args.processes:
        raise SystemExit(f"--credits ({args.credits:g}) must be a multiple of --processes ({args.processes})")
    pool = WorkerPool(args.config, args.database, args.processes)
    try:
        single = one_run(pool, registry, args, accounts=1)
        spread = one_run(pool, registry, args, accounts=args.processes)
        floor_single = one_run(pool, registry, args, accounts=1, floor=True)
        floor_spread = one_run(pool, registry, args, accounts=args.processes, floor=True)
    finally:
        pool.close()
    params = (
        f"--processes {args.processes} --credits {args.credits:g} --attempts {args.attempts} "
        f"--max-retries {args.max_retries} --retry-backoff-ms {args.retry_backoff_ms:g}"
    )
    figures = []
    for label, result in (("1 account", single), (f"{args.processes} accounts", spread)):
        prefix = f"contention, {label}"
        figures += [
            equal(f"{prefix}: charges that succeeded ({params})", result["charged"], "charges", args.credits),
            equal(f"{prefix}: captures in the ledger", result["captures"], "rows", args.credits),
            equal(f"{prefix}: final balance", result["balance"], "credits", 0),
            equal(f"{prefix}: final reserved", result["reserved"], "credits", 0),
            at_least(f"{prefix}: lowest available in any ledger row", result["min_row_available"], "credits", 0),
            equal(f"{prefix}: holds captured twice", result["double_captures"], "holds", 0),
            Figure(f"{prefix}: stored balances equal the ledger's sums", result["sums_match"], "", "true",
                   result["sums_match"]),
            info(f"{prefix}: refused (insufficient credits)", result["refused"], "attempts"),
            # The ledger waits its turn: a caller never sees a serialization failure to retry.
            equal(f"{prefix}: serialization failures seen by callers", result["retries"], "retries", 0),
            info(f"{prefix}: clean failures (retries exhausted)", result["failed"], "attempts"),
            info(f"{prefix}: wall time of all {result['attempts']} attempts", result["seconds"], "s"),
            at_least(f"{prefix}: throughput ({params})", result["rate"], "charges/s", TARGET_RATE),
        ]  # fmt: skip
    figures.append(info("contention: speed-up of 1 account per process", spread["rate"] / single["rate"], "x"))
    floors = (("1 account", floor_single, single), (f"{args.processes} accounts", floor_spread, spread))
    for label, result, charge in floors:
        prefix = f"contention SQL floor, {label}"
        figures += [
            equal(f"{prefix}: movements that succeeded", result["charged"], "movements", args.credits),
            info(f"{prefix}: serialization failures retried", result["retries"], "retries"),
            info(f"{prefix}: throughput (UPDATE + INSERT + COMMIT)", result["rate"], "movements/s"),
            at_least(f"{prefix}: charge throughput / floor throughput", charge["rate"] / result["rate"], "x",
                     TARGET_FLOOR_RATIO)
            if result is floor_single
            else info(f"{prefix}: charge throughput / floor throughput", charge["rate"] / result["rate"], "x"),
        ]  # fmt: skip
    return figures
