#!/usr/bin/env bash
# Re-export the translation template i18n/iap_credits.pot and merge new terms into every
# i18n/<lang>.po (msgmerge: existing translations kept, new terms added with an empty msgstr).
#
#   bash dev/i18n_export.sh DB      DB: a database with iap_credits installed and up to date
#
# Why not a plain `odoo-bin i18n export`: Odoo walks the module folder with followlinks=True,
# and our addons folder links .state/addons/iap_credits back to this checkout, which holds
# .state itself: the walk loops until the path is too long and every source reference comes
# out as `addons/iap_credits/.state/addons/iap_credits/.state/...` (a ~1 MB file). So the
# export reads a copy of the checkout without .state, through its own configuration.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DB=${1:?usage: dev/i18n_export.sh DB}
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"
command -v msgmerge >/dev/null || { echo "msgmerge missing: apt-get install gettext" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/addons/iap_credits"
tar -C "$ROOT" --exclude=./.state --exclude=./.git --exclude='__pycache__' -cf - . \
  | tar -C "$TMP/addons/iap_credits" -xf -
sed "s#^addons_path = .*#addons_path = $ODOO_SRC/odoo/addons,$TMP/addons#" "$ODOO_RC" > "$TMP/odoo.conf"

python "$ODOO_SRC/odoo-bin" i18n export -c "$TMP/odoo.conf" -d "$DB" -l pot \
  -o "$ROOT/i18n/iap_credits.pot" iap_credits
for po in "$ROOT"/i18n/*.po; do
  [ -e "$po" ] || continue
  msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$ROOT/i18n/iap_credits.pot"
  echo -n "[i18n] $po: " >&2
  msgfmt --statistics -o /dev/null "$po"
done
