"""Charge latency: one `_credits_charge` of 1 credit against the bare SQL floor.

A charge is a hold and a capture (two ledger movements) with the service's block in a
savepoint on the caller's cursor; each movement is one statement, prepared once on a
kept ledger connection and run in autocommit (its own transaction, committed by
PostgreSQL before it answers). The floor is the bare SQL of exactly those statements:
on the caller's cursor ``SAVEPOINT``/``RELEASE``, and twice (hold, capture), on a cursor
of its own in autocommit, one prepared statement whose guarded UPDATE of the account row
feeds the INSERT of a ledger row carrying the columns a movement writes (account,
service, kind, amounts, description, reference, user, company, dates). The caller's
transaction is committed every 50 pairs (untimed). Charges and floor operations
alternate one by one, so that the machine's noise falls on both alike and their ratio
holds.
"""

from common import DESCRIPTION, Stopwatch, admin_env, at_most, info, median_ms, p99_ms

TARGET_RATIO = 3.0
BLOCK = 50  # charge + floor pairs per transaction
WARMUP = 100

# The floor's movement: the guarded UPDATE feeding the INSERT, as one prepared statement.
FLOOR_PREPARE = """
    PREPARE iap_credits_floor_movement(int, int, varchar, varchar, int, int) AS
      WITH moved AS (
        UPDATE iap_account
           SET credit_balance = credit_balance - 1, credit_available = credit_available - 1
         WHERE id = $1 AND credit_available >= 1
     RETURNING credit_balance, credit_reserved
      )
      INSERT INTO iap_credit_transaction (
          account_id, service_id, kind, credits, credits_used, reserved_change, balance_after, reserved_after,
          description, reference, user_id, company_id, date, create_uid, create_date, write_uid, write_date
      )
      SELECT $1, $2, 'adjustment', -1, 0, 0, moved.credit_balance, moved.credit_reserved, $3, $4, $5, $6,
             now() at time zone 'UTC', $5, now() at time zone 'UTC', $5, now() at time zone 'UTC'
        FROM moved
   RETURNING id
"""
FLOOR_EXECUTE = "EXECUTE iap_credits_floor_movement(%s, %s, %s, %s, %s, %s)"
FLOOR_INSERT = """
    INSERT INTO iap_credit_transaction (
        account_id, service_id, kind, credits, credits_used, reserved_change, balance_after, reserved_after,
        description, reference, user_id, company_id, date, create_uid, create_date, write_uid, write_date
    ) VALUES (%s, %s, 'adjustment', -1, 0, 0, 0, 0, %s, %s, %s, %s,
              now() at time zone 'UTC', %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
"""


def run(registry, args):
    charges = args.charges
    with registry.cursor() as cr:
        env = admin_env(cr)
        account = env["iap.account"].create(
            {
                "name": "Bench latency",
                "service_id": env.ref("sms.iap_service_sms").id,
                "credit_mode": "local",
                "company_ids": [(6, 0, env.company.ids)],
            }
        )
        # Each charge spends 1 credit and each floor operation takes 2 (hold, capture) from the stored balance.
        account.sudo()._credits_grant(3 * (charges + WARMUP), DESCRIPTION)
        cr.commit()
        service_id, user_id, company_id = account.service_id.id, env.uid, env.company.id

        def charge(index):
            with account._credits_charge(1, DESCRIPTION, reference=f"latency-{index}"):
                pass

        floor_cr = registry.cursor()
        floor_cr._cnx.autocommit = True
        floor_cr.execute(FLOOR_PREPARE)

        def floor(index):
            cr.execute("SAVEPOINT iap_credits_floor")
            for movement in ("hold", "capture"):
                params = [account.id, service_id, DESCRIPTION, f"floor-{movement}-{index}", user_id, company_id]
                floor_cr.execute(FLOOR_EXECUTE, params)
            cr.execute("RELEASE SAVEPOINT iap_credits_floor")

        for index in range(WARMUP):
            charge(-index - 1)
            floor(-index - 1)
        cr.commit()

        charge_watch, floor_watch = Stopwatch(), Stopwatch()
        done = 0
        while done < charges:
            block = range(done, min(done + BLOCK, charges))
            for index in block:
                with charge_watch:
                    charge(index)
                with floor_watch:
                    floor(index)
            cr.commit()
            done = block.stop
        floor_cr._cnx.autocommit = False
        floor_cr.close()

    charge_med, floor_med = median_ms(charge_watch.samples), median_ms(floor_watch.samples)
    charge_p99, floor_p99 = p99_ms(charge_watch.samples), p99_ms(floor_watch.samples)
    params = f"--charges {charges}"
    return [
        info(f"charge latency median ({params})", charge_med, "ms"),
        info(f"charge latency p99 ({params})", charge_p99, "ms"),
        info(f"SQL floor latency median ({params})", floor_med, "ms"),
        info(f"SQL floor latency p99 ({params})", floor_p99, "ms"),
        at_most(f"charge / SQL floor, median ({params})", charge_med / floor_med, "x", TARGET_RATIO),
        info(f"charge / SQL floor, p99 ({params})", charge_p99 / floor_p99, "x"),
    ]
