#!/usr/bin/env bash
# `make test-stock`: Odoo's own SMS tests must still pass with iap_credits installed on a
# database that already uses Odoo's IAP (the stock path, which the addon must leave as it is,
# down to the number of SQL queries its performance tests count).
#   1. fresh database with the stock SMS modules and `test_mail_sms` (Odoo's SMS test suite,
#      with its performance tests), and an SMS account with a token, as a database that
#      sends SMS through Odoo's IAP has;
#   2. iap_credits installed there: its accounts must stay in Odoo IAP mode (checked);
#   3. odoo-bin --test-tags post_install/sms, as `make odoo` would run it, on the full registry
#      (at_install tests would run with the registry of the modules loaded so far, which
#      does not know the NOT NULL columns that later modules such as `account` add);
#   4. pytest-odoo on the tests of `sms` and `test_mail_sms`, so that the at_install ones
#      (the composer) also run on the full registry, with this addon's overrides loaded.
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
start=$SECONDS

echo "[test-stock] a database using Odoo's IAP for SMS: $DB" >&2
"${ODOO[@]}" -i sms,test_mail_sms --stop-after-init --log-level=warn --no-http
# The account Odoo's IAP gives a database on its first SMS (stock `get`, with a token).
python "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$DB" --log-level=warn --no-http <<'PY'
account = env["iap.account"].get("sms")
assert account.account_token, "the stock SMS account has no token"
env.cr.commit()
PY

echo "[test-stock] installing iap_credits there" >&2
"${ODOO[@]}" -i iap_credits --stop-after-init --log-level=warn --no-http
modes=$(psql -d "$DB" -tAc "SELECT string_agg(DISTINCT credit_mode, ',') FROM iap_account")
default=$(psql -d "$DB" -tAc "SELECT value FROM ir_config_parameter WHERE key = 'iap_credits.default_credit_mode'")
if [ "$modes" != odoo ] || [ "$default" != odoo ]; then
  echo "[test-stock] the accounts of a database using Odoo's IAP must stay in Odoo IAP mode:" \
    "modes '$modes', default '$default'" >&2
  exit 1
fi

echo "[test-stock] odoo-bin --test-tags post_install/sms" >&2
LOG="$STATE/test-stock-odoo.log"
"${ODOO[@]}" --test-tags post_install/sms --stop-after-init --log-level=test 2>&1 | tee "$LOG" | grep -E "ERROR|FAIL|tests? (when|in)|post-tests" >&2 || true
if grep -qE "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL)" "$LOG"; then
  echo "[test-stock] odoo-bin reported errors, see $LOG" >&2
  exit 1
fi

echo "[test-stock] pytest-odoo on the tests of sms and test_mail_sms (full registry)" >&2
cd "$STATE"
set +e
python -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
  "$ODOO_SRC/odoo/addons/sms/tests" "$ODOO_SRC/odoo/addons/test_mail_sms/tests" -q "$@"
rc=$?
set -e
echo "[test-stock] done in $((SECONDS - start)) s" >&2
exit $rc
