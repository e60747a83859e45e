#!/usr/bin/env bash
# Re-export the translation template i18n/iap_credits.pot and merge new terms into every
# i18n/<lang>.po (msgmerge: existing translations kept, new terms added with an empty msgstr).
#
#   bash dev/i18n_export.sh DB [MODULE]
#     DB: a database with iap_credits (and MODULE) installed and up to date
#     MODULE: iap_credits (the default), or a bridge addon of bridges/ (its own i18n/ folder)
#
# Why not a plain `odoo-bin i18n export`: Odoo walks the module folder with followlinks=True,
# and our addons folder links .state/addons/iap_credits back to this checkout, which holds
# .state itself: the walk loops until the path is too long and every source reference comes
# out as `addons/iap_credits/.state/addons/iap_credits/.state/...` (a ~1 MB file). So the
# export reads a copy of the checkout without .state, through its own configuration.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DB=${1:?usage: dev/i18n_export.sh DB [MODULE]}
MODULE=${2:-iap_credits}
bash "$ROOT/dev/setup.sh"
source "$ROOT/.state/env.sh"
command -v msgmerge >/dev/null || { echo "msgmerge missing: apt-get install gettext" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The bridges are addons of their own: their terms never go into iap_credits' template.
mkdir -p "$TMP/addons/iap_credits"
tar -C "$ROOT" --exclude=./.state --exclude=./.git --exclude=./bridges --exclude='__pycache__' -cf - . \
  | tar -C "$TMP/addons/iap_credits" -xf -
I18N="$ROOT/i18n"
if [ "$MODULE" != iap_credits ]; then
  [ -f "$ROOT/bridges/$MODULE/__manifest__.py" ] || { echo "no bridge addon bridges/$MODULE" >&2; exit 1; }
  mkdir -p "$TMP/addons/$MODULE"
  tar -C "$ROOT/bridges/$MODULE" --exclude='__pycache__' -cf - . | tar -C "$TMP/addons/$MODULE" -xf -
  I18N="$ROOT/bridges/$MODULE/i18n"
  mkdir -p "$I18N"
fi
sed "s#^addons_path = .*#addons_path = $ODOO_SRC/odoo/addons,$TMP/addons#" "$ODOO_RC" > "$TMP/odoo.conf"

python "$ODOO_SRC/odoo-bin" i18n export -c "$TMP/odoo.conf" -d "$DB" -l pot \
  -o "$I18N/$MODULE.pot" "$MODULE"
for po in "$I18N"/*.po; do
  [ -e "$po" ] || continue
  msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$I18N/$MODULE.pot"
  echo -n "[i18n] $po: " >&2
  msgfmt --statistics -o /dev/null "$po"
done
