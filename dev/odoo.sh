#!/usr/bin/env bash
# `make odoo ARGS='…'`: Odoo's own command line (odoo-bin) with this project's configuration.
#   make odoo ARGS='shell -d mydb'         a sub-command: shell, db, i18n, module, neutralize, …
#   make odoo ARGS='-d mydb -u iap_credits --stop-after-init'     the server, as plain odoo-bin
# odoo-bin takes its sub-command only as its first argument (`odoo-bin -c odoo.conf shell`
# is refused), so the sub-command, when there is one, goes first and `-c` right after it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/.state/env.sh"

args=("$@")
command=()
if ((${#args[@]})) && [[ ${args[0]} != -* ]]; then
  command=("${args[0]}")
  args=("${args[@]:1}")
fi
config=(-c "$ODOO_RC")
case "${command[0]:-server}" in
  # These parse their own arguments and know no configuration file.
  help | scaffold | deploy | upgrade_code) config=() ;;
esac
exec python "$ODOO_SRC/odoo-bin" "${command[@]}" "${config[@]}" "${args[@]}"
