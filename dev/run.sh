#!/usr/bin/env bash
# `make run`: set up, create (once) the demo database with this addon, its bridge addons
# (bridges/: expenses, ...) and their demo data, then serve it on http://localhost:8069
# (login admin / admin). Odoo's options follow (make run ARGS='...'), e.g.
#   make run ARGS='--workers 4'    worker processes (and a cron thread), as a database in
#                                  server mode serves its client databases (readme/server_mode.md)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"
DB=${IAP_DEMO_DB:-iap_credits_demo}
ODOO=(python "$ODOO_SRC/odoo-bin" -c "$ODOO_RC")
if ! psql -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  echo "[run] creating demo database $DB (a few minutes the first time)" >&2
  # payment_demo: a test payment provider, to buy credit packs in the demo without real money.
  # The bridges bring their stock apps along (hr_expense, ...).
  "${ODOO[@]}" -d "$DB" -i "iap_credits,payment_demo${IAP_BRIDGES:+,$IAP_BRIDGES}" --with-demo --stop-after-init \
    --log-level=warn
else
  # -i: a bridge added since the database was created is installed; -u: the others are updated.
  "${ODOO[@]}" -d "$DB" ${IAP_BRIDGES:+-i "$IAP_BRIDGES"} -u "iap_credits${IAP_BRIDGES:+,$IAP_BRIDGES}" \
    --stop-after-init --log-level=warn
fi
echo "[run] serving $DB on http://localhost:${HTTP_PORT:-8069}  (login: admin / admin)" >&2
exec "${ODOO[@]}" -d "$DB" --db-filter="^$DB\$" --http-interface=0.0.0.0 "$@"
