#!/usr/bin/env bash
# `make bench`: set up, create a fresh benchmark database with the addon installed, run the
# benchmarks (dev/bench/run.py), print the table, write the figures as JSON to $BENCH_OUT
# (default .state/bench.json), drop the database. Not part of `make test`.
#   make bench                         the default run (a few minutes on 2 cores)
#   make bench ARGS='--charges 500'    a quick run; `python dev/bench/run.py --help` lists options
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"

DB=${IAP_BENCH_DB:-iap_credits_bench_$$}
OUT=${BENCH_OUT:-$STATE/bench.json}
CONF="$STATE/odoo-bench.conf"
# The benchmarks serve no HTTP; a private copy of the configuration keeps them off any port.
sed "s/^http_port = .*/http_port = 0/" "$ODOO_RC" > "$CONF"
cleanup() { dropdb --if-exists "$DB" 2>/dev/null || true; }
trap cleanup EXIT

echo "[bench] installing iap_credits in a fresh database $DB" >&2
python "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" -i iap_credits --stop-after-init --log-level=warn --no-http

echo "[bench] running" >&2
python "$ROOT/dev/bench/run.py" --config "$CONF" --database "$DB" --out "$OUT" "$@"
