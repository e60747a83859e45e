"""Where a charge's time goes, in one process: the loop of a contention worker.

`--charges` times "charge 1 credit from a committed account as the administrator, then
commit", after 100 unmeasured ones; prints the process CPU and wall time per charge, or
with `--profile` the cProfile of the loop (by internal time, then cumulative). Not a
benchmark of `make bench` (no target): a tool to compare the Python of two versions.

    python dev/bench/profile_charge.py --config .state/odoo.conf --database DB [--profile]

It creates an account "Bench profile" with the credits it spends in the database.
"""

import argparse
import cProfile
import pstats
import time

from common import DESCRIPTION, admin_env, start_odoo

WARMUP = 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--database", required=True, help="database with iap_credits installed")
    parser.add_argument("--charges", type=int, default=2000, help="charges measured")
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the loop")
    parser.add_argument("--lines", type=int, default=40, help="lines of each cProfile listing")
    args = parser.parse_args()

    registry = start_odoo(args.config, args.database)
    with registry.cursor() as cr:
        env = admin_env(cr)
        account = env["iap.account"].create(
            {
                "name": "Bench profile",
                "service_id": env.ref("sms.iap_service_sms").id,
                "credit_mode": "local",
                "company_ids": [(6, 0, env.company.ids)],
            }
        )
        account.sudo()._credits_grant(args.charges + WARMUP, DESCRIPTION)
        cr.commit()

        def charges(count, tag):
            for index in range(count):
                with account._credits_charge(1, DESCRIPTION, reference=f"profile-{tag}-{index}"):
                    pass
                cr.commit()

        charges(WARMUP, "warmup")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            charges(args.charges, "profiled")
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(args.lines)
            stats.sort_stats("cumtime").print_stats(args.lines)
            return
        cpu, wall = time.process_time(), time.perf_counter()
        charges(args.charges, "timed")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per_charge = 1e6 / args.charges
        print(f"{args.charges} charges: {cpu * per_charge:.0f} µs CPU, {wall * per_charge:.0f} µs wall a charge")


if __name__ == "__main__":
    main()
