"""Benchmarks of iap_credits: speed, scale and exactness under load, on a real database.

Run through `make bench` (dev/bench.sh), which creates a fresh database with the addon
installed, runs this script on it and drops it. Every figure is a ratio or a count
measured in this one run, so that it holds on a noisy machine; each figure's name states
the options it was measured with, so anyone can rerun it:

    make bench ARGS='--charges 500 --attempts 4000 --ledger-large 100000'

Adding a benchmark: write ``run(registry, args) -> list[Figure]`` in a module beside this
one and list it in ``SCENARIOS``.
"""

import argparse
import json
import os
import sys
import time

import alert_scale
import contention
import gateway_isolation
import latency
import ledger_scale
import server_load
import sms_throughput
from common import start_odoo

SCENARIOS = {
    "latency": latency.run,
    "contention": contention.run,
    "ledger": ledger_scale.run,
    "sms": sms_throughput.run,
    "alerts": alert_scale.run,
    "isolation": gateway_isolation.run,
    "server": server_load.run,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--database", required=True, help="database with iap_credits installed (bench data is added)")
    parser.add_argument("--out", default=os.environ.get("BENCH_OUT", ".state/bench.json"), help="JSON output file")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated scenarios among {', '.join(SCENARIOS)}"
    )
    group = parser.add_argument_group("charge latency")
    group.add_argument("--charges", type=int, default=5000, help="charges timed (and as many floor operations)")
    group = parser.add_argument_group("contention")
    group.add_argument("--processes", type=int, default=8, help="worker processes")
    group.add_argument("--credits", type=float, default=5000, help="credits to spend, in total")
    group.add_argument("--attempts", type=int, default=20000, help="attempts to charge 1 credit, in total")
    group.add_argument(
        "--max-retries", type=int, default=100, help="retries of an attempt after serialization failures"
    )
    group.add_argument(
        "--retry-backoff-ms", type=float, default=1.0, help="random pause before a retry: up to this * 2^retries"
    )
    group = parser.add_argument_group("ledger scale")
    group.add_argument("--ledger-small", type=int, default=1000, help="ledger rows of the account, first")
    group.add_argument("--ledger-large", type=int, default=1000000, help="ledger rows of the account, then")
    group.add_argument("--scale-reads", type=int, default=30, help="repetitions of each read (median)")
    group = parser.add_argument_group("SMS throughput")
    group.add_argument("--sms", type=int, default=10000, help="SMS queued and sent, on each side (metered, stock)")
    group.add_argument(
        "--sms-rounds", type=int, default=5, help="rounds the SMS are sent in, the two sides alternating (ABBA)"
    )
    group = parser.add_argument_group("gateway latency isolation")
    group.add_argument("--isolation-sms", type=int, default=200, help="SMS of the queue behind the slow gateway")
    group = parser.add_argument_group("alert job")
    group.add_argument("--alerts", type=int, default=10000, help="accounts due an alert, emailed by the job")
    group.add_argument(
        "--alerts-stock", type=int, default=200, help="accounts emailed by stock send_mail, one a call (the reference)"
    )
    group.add_argument("--alerts-batch", type=int, default=500, help="accounts a batch (commit) of the job")
    group.add_argument("--alerts-small", type=int, default=1000, help="accounts due, for the query count of a batch")
    group.add_argument("--alerts-large", type=int, default=100000, help="accounts due, the same again with more")
    group = parser.add_argument_group("server mode load")
    group.add_argument("--server-clients", type=int, default=8, help="client databases sending at once (threads)")
    group.add_argument("--server-requests", type=int, default=500, help="/api/sms/3/send calls of each client")
    group.add_argument("--server-batch", type=int, default=1, help="numbers of each call (stock sends up to 500)")
    return parser.parse_args(argv)


def print_table(figures, command):
    rows = [("figure", "value", "unit", "target", "met")]
    for figure in figures:
        met = {True: "yes", False: "NO", None: ""}[figure.met]
        if figure.value is None:
            value = "-"
        else:
            value = f"{figure.value:g}" if isinstance(figure.value, float) else str(figure.value)
        rows.append((figure.name, value, figure.unit, figure.target or "", met))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    print(f"\n$ {command}")
    for number, row in enumerate(rows):
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(cells)))
        if not number:
            print("  ".join("-" * width for width in widths))


def main(argv):
    args = parse_args(argv)
    registry = start_odoo(args.config, args.database)
    figures = []
    for name in args.only.split(","):
        started = time.monotonic()
        print(f"[bench] {name}", file=sys.stderr, flush=True)
        figures += SCENARIOS[name](registry, args)
        print(f"[bench] {name}: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    print_table(figures, "make bench ARGS='" + " ".join(argv_options(argv)) + "'")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump([figure.as_json() for figure in figures], out, indent=1)
    print(f"\n[bench] {len(figures)} figures written to {args.out}", file=sys.stderr)


def argv_options(argv):
    """The options given on the command line, less those dev/bench.sh passes itself."""
    options, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--config", "--database", "--out"):
            skip = True
            continue
        if arg.startswith(("--config=", "--database=", "--out=")):
            continue
        options.append(arg)
    return options


if __name__ == "__main__":
    main(sys.argv[1:])
