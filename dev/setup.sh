#!/usr/bin/env bash
# Prepare everything `make run`, `make test` and `make bench` need, idempotently:
#   * system packages (only when running as root and only those missing),
#   * Odoo 19.0 source in $ODOO_SRC,
#   * a virtualenv with Odoo's and this addon's requirements (shared across clones,
#     keyed by the hash of the requirement files, so repeated runs stay quick),
#   * a PostgreSQL server and a non-superuser role for Odoo,
#   * the addons folder linking this checkout as `iap_credits`, and odoo.conf, whose
#     addons_path also holds bridges/ (the bridge addons to stock apps, e.g. hr_expense).
# It prints nothing but progress on stderr, and writes the shell variables the other
# scripts need to $STATE/env.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${IAP_STATE:-$ROOT/.state}
ODOO_SRC=${ODOO_SRC:-$HOME/src/odoo}
CACHE=${IAP_CACHE:-$HOME/.cache/iap_credits}
PYTHON=${PYTHON:-python3.11}
mkdir -p "$STATE" "$CACHE"
say() { printf '[setup] %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------
APT_PACKAGES=(
  libpq-dev libldap2-dev libsasl2-dev       # psycopg2 / python-ldap builds
  chromium                                  # Odoo tours (headless browser)
  fonts-wqy-zenhei                          # CJK glyphs: Chinese in the browser and PDF reports
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu
  tesseract-ocr-chi-sim poppler-utils       # document digitization
  wkhtmltopdf                               # PDF reports: invoices, letters posted by snail mail
  fonts-wqy-microhei                        # the Chinese CVs of the digitization tests
)
# Node.js and npm for prettier (`make lint`), unless some Node.js already provides npm.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    # Another apt run (a parallel set-up, unattended upgrades) may hold the dpkg lock:
    # apt waits for it up to the timeout, and the whole install is retried a few times.
    for attempt in 1 2 3 4 5; do
      if apt-get -o DPkg::Lock::Timeout=120 update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${missing[@]}" >&2; then
        break
      fi
      [ "$attempt" = 5 ] && { say "ERROR: could not install ${missing[*]}"; exit 2; }
      say "apt is busy or failed (attempt $attempt); retrying in 20 s"
      sleep 20
    done
  else
    say "WARNING: missing system packages (install them as root): ${missing[*]}"
  fi
fi

# --- Odoo source ---------------------------------------------------------------------
if [ ! -f "$ODOO_SRC/odoo/release.py" ]; then
  say "no Odoo source in $ODOO_SRC; trying to download Odoo 19.0 Community"
  mkdir -p "$(dirname "$ODOO_SRC")"
  if ! git clone -q --depth 1 --branch 19.0 https://github.com/odoo/odoo.git "$ODOO_SRC" >&2; then
    cat >&2 <<MSG
[setup] ERROR: Odoo 19.0 Community source not found and could not be downloaded.
[setup] Put an Odoo 19.0 Community tree (the folder holding odoo-bin) at
[setup]   $ODOO_SRC
[setup] or point ODOO_SRC at one:  make test ODOO_SRC=/path/to/odoo
MSG
    exit 2
  fi
fi
grep -q "version_info = (19, 0" "$ODOO_SRC/odoo/release.py" || {
  say "ERROR: $ODOO_SRC is not Odoo 19.0 (see odoo/release.py)"; exit 2; }

# --- virtualenv ------------------------------------------------------------------
# Odoo's requirements, less python-ldap (only auth_ldap uses it), with lxml_html_clean
# held below 0.4.3 so lxml stays at Odoo's pin.
REQ_ODOO="$STATE/requirements-odoo.txt"
grep -viE '^\s*python-ldap' "$ODOO_SRC/requirements.txt" > "$REQ_ODOO"
echo 'lxml_html_clean<0.4.3' >> "$REQ_ODOO"
HASH=$(cat "$REQ_ODOO" "$ROOT/requirements.txt" "$ROOT/dev/requirements-dev.txt" | sha256sum | cut -c1-16)
VENV="$CACHE/venv-$HASH"
if [ ! -f "$VENV/.complete" ]; then
  say "creating virtualenv $VENV (first run only: a few minutes)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade 'pip<25' 'setuptools<70' wheel >&2
  "$VENV/bin/pip" install -q -r "$REQ_ODOO" -r "$ROOT/requirements.txt" -r "$ROOT/dev/requirements-dev.txt" >&2
  touch "$VENV/.complete"
fi

# --- lint tools (`make lint`, see .pre-commit-config.yaml) ---------------------------
# pre-commit and the OCA hooks, in a virtualenv of their own (dev/requirements-lint.txt says
# why); prettier with its XML plugin from npm (dev/package.json). Both shared by every
# clone and rebuilt only when their requirement file changes, like the main virtualenv.
LINT_VENV="$CACHE/lint-$(sha256sum < "$ROOT/dev/requirements-lint.txt" | cut -c1-16)"
if [ ! -f "$LINT_VENV/.complete" ]; then
  say "creating the lint virtualenv $LINT_VENV"
  rm -rf "$LINT_VENV"
  "$PYTHON" -m venv "$LINT_VENV"
  "$LINT_VENV/bin/pip" install -q -r "$ROOT/dev/requirements-lint.txt" >&2
  touch "$LINT_VENV/.complete"
fi
NODE_MODULES="$CACHE/node-$(sha256sum < "$ROOT/dev/package.json" | cut -c1-16)/node_modules"
if [ ! -f "$NODE_MODULES/.complete" ]; then
  if command -v npm >/dev/null; then
    say "installing prettier in $NODE_MODULES"
    rm -rf "$(dirname "$NODE_MODULES")"
    mkdir -p "$(dirname "$NODE_MODULES")"
    cp "$ROOT/dev/package.json" "$(dirname "$NODE_MODULES")/"
    npm install --prefix "$(dirname "$NODE_MODULES")" --no-package-lock --no-audit --no-fund --silent >&2
    touch "$NODE_MODULES/.complete"
  else
    say "WARNING: no npm (install nodejs and npm as root): make lint cannot run prettier"
  fi
fi

# --- PostgreSQL --------------------------------------------------------------------
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
DB_USER=${IAP_DB_USER:-iap_credits}
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  # No server reachable: run a private cluster in the state folder.
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$PGBIN" ] || { say "ERROR: no PostgreSQL reachable on $PGHOST:$PGPORT and no server binaries installed (apt-get install postgresql)"; exit 2; }
  PGDATA="$STATE/pgdata"; PGHOST="$STATE/pgsock"; PGPORT=${IAP_PG_PORT:-54329}
  AS=(); [ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
  mkdir -p "$PGHOST"; [ "$(id -u)" = 0 ] && chown postgres "$STATE" "$PGHOST"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "initialising a private PostgreSQL cluster in $PGDATA"
    "${AS[@]}" "$PGBIN/initdb" -q -A trust -U postgres -D "$PGDATA" >&2
  fi
  say "starting the private PostgreSQL cluster (port $PGPORT)"
  "${AS[@]}" "$PGBIN/pg_ctl" -s -w -D "$PGDATA" -l "$STATE/postgresql.log" \
    -o "-k $PGHOST -p $PGPORT -c listen_addresses=''" start >&2
fi
if ! psql -U "$DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  say "creating database role $DB_USER"
  psql -q -U "${PGUSER_ADMIN:-postgres}" -d postgres -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB" >&2
fi

# --- addons folder and configuration -------------------------------------------------
mkdir -p "$STATE/addons" "$STATE/data"
ln -sfn "$ROOT" "$STATE/addons/iap_credits"
cat > "$STATE/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/odoo/addons,$STATE/addons,$ROOT/bridges
data_dir = $STATE/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $DB_USER
admin_passwd = admin
http_interface = 127.0.0.1
http_port = ${HTTP_PORT:-8069}
CONF

# The bridge addons: each folder bridges/<name> with a manifest (depending on iap_credits and a
# stock app, auto_install), comma-separated; run.sh and test.sh install them.
BRIDGES=$(for m in "$ROOT"/bridges/*/__manifest__.py; do if [ -e "$m" ]; then basename "$(dirname "$m")"; fi; done | paste -sd, -)

cat > "$STATE/env.sh" <<ENV
export ODOO_SRC="$ODOO_SRC" VENV="$VENV" STATE="$STATE" ROOT="$ROOT"
export PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$DB_USER"
export ODOO_RC="$STATE/odoo.conf" PATH="$VENV/bin:\$PATH"
export LINT_VENV="$LINT_VENV" NODE_MODULES="$NODE_MODULES"
export IAP_BRIDGES="$BRIDGES"
export PYTHONPATH="$ODOO_SRC\${PYTHONPATH:+:\$PYTHONPATH}"
ENV
say "ready: Odoo $ODOO_SRC, venv $VENV, PostgreSQL $PGHOST:$PGPORT as $DB_USER"
