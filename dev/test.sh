#!/usr/bin/env bash
# `make test`: set up, lint (pre-commit, dev/lint.sh), Odoo's SMS tests (dev/test-stock.sh),
# create a fresh database, install the addon and its bridge addons (bridges/, with their
# stock apps; with demo data, so the demo is checked too), run the whole suite with
# pytest-odoo, the bridges' tests included, drop the database; then the interoperability
# test of server mode (dev/interop/run.py: two more databases and three Odoo processes).
# Exits non-zero on any lint error or test failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"
bash "$ROOT/dev/lint.sh"
# Odoo's own sms tests with the addon installed (about a minute); first, so that the
# closing line below stays this suite's.
bash "$ROOT/dev/test-stock.sh"

DB=${IAP_TEST_DB:-iap_credits_test_$$}
# A free port for the HTTP server of the tours, so parallel runs never collide.
PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF="$STATE/odoo-test.conf"
sed "s/^http_port = .*/http_port = $PORT/" "$ODOO_RC" > "$CONF"
cleanup() { dropdb --if-exists "$DB" 2>/dev/null || true; }
trap cleanup EXIT

echo "[test] installing iap_credits${IAP_BRIDGES:+ and $IAP_BRIDGES} in a fresh database $DB" >&2
# payment_demo: the demo payment provider the credit purchase tests and tour pay with.
python "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" -i "iap_credits,payment_demo${IAP_BRIDGES:+,$IAP_BRIDGES}" \
  --with-demo --stop-after-init --log-level=warn --no-http

# The bridges' tests, by their path in bridges/ (an addons folder of the configuration): they
# import as odoo.addons.<bridge>.tests.
BRIDGE_TESTS=()
for bridge in ${IAP_BRIDGES//,/ }; do
  if [ -d "$ROOT/bridges/$bridge/tests" ]; then BRIDGE_TESTS+=("$ROOT/bridges/$bridge/tests"); fi
done

# pytest resolves the current directory: run from outside the checkout, on the path
# through the linked addons folder, so the tests import as odoo.addons.iap_credits.
# --rootdir/--confcutdir: the checkout itself is a package (the addon's __init__.py) that
# pytest would otherwise import as a parent of the bridges' tests.
cd "$STATE"
echo "[test] pytest-odoo" >&2
set +e
python -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
  --rootdir="$STATE/addons" --confcutdir="$STATE/addons" \
  "$STATE/addons/iap_credits/tests" "${BRIDGE_TESTS[@]}" "$@"
rc=$?
# Server mode between processes: a stock Odoo database (no iap_credits) served by its own
# odoo-bin uses a database with iap_credits, served with --workers 2, as its IAP server
# (readme/server_mode.md). About 5 minutes; its own databases, dropped at the end.
# IAP_SKIP_INTEROP=1 skips it (a quick local run of the pytest suite only).
if [ -z "${IAP_SKIP_INTEROP:-}" ]; then
  echo "[test] interoperability of server mode (dev/interop/run.py)" >&2
  python "$ROOT/dev/interop/run.py" --config "$CONF" || rc=1
fi
set -e
exit $rc
