#!/usr/bin/env bash
# `make test-stock`: Odoo's own `sms` tests must still pass with iap_credits installed and the
# SMS accounts in Odoo IAP mode (the stock path, untouched by the addon).
#   1. fresh database, iap_credits installed (no demo), every account switched to Odoo IAP;
#   2. odoo-bin --test-tags post_install/sms, as `make odoo` would run it, on the full registry
#      (at_install tests would run with the registry of the modules loaded so far, which
#      does not know the NOT NULL columns that later modules such as `account` add);
#   3. the same tests again with pytest-odoo, so that the at_install ones (the composer) also
#      run on the full registry, with this addon's overrides loaded.
# Exits non-zero when any of them fails.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"

DB=${IAP_STOCK_DB:-iap_credits_stock_$$}
PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF="$STATE/odoo-test-stock.conf"
sed "s/^http_port = .*/http_port = $PORT/" "$ODOO_RC" > "$CONF"
cleanup() { dropdb --if-exists "$DB" 2>/dev/null || true; }
trap cleanup EXIT
ODOO=(python "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB")

echo "[test-stock] installing iap_credits in a fresh database $DB" >&2
"${ODOO[@]}" -i iap_credits --stop-after-init --log-level=warn --no-http
psql -q -d "$DB" <<'SQL'
UPDATE iap_account SET credit_mode = 'odoo';
INSERT INTO ir_config_parameter (key, value) VALUES ('iap_credits.default_credit_mode', 'odoo')
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
SQL

echo "[test-stock] odoo-bin --test-tags post_install/sms" >&2
LOG="$STATE/test-stock-odoo.log"
"${ODOO[@]}" --test-tags post_install/sms --stop-after-init --log-level=test 2>&1 | tee "$LOG" | grep -E "ERROR|FAIL|tests? (when|in)|post-tests" >&2 || true
if grep -qE "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL)" "$LOG"; then
  echo "[test-stock] odoo-bin reported errors, see $LOG" >&2
  exit 1
fi

echo "[test-stock] pytest-odoo on $ODOO_SRC/odoo/addons/sms/tests (full registry)" >&2
cd "$STATE"
python -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
  "$ODOO_SRC/odoo/addons/sms/tests" -q "$@"
