#!/usr/bin/env bash
# `make wheel`: the addon as pip installs it, the wheel odoo_addon_iap_credits-<version>-py3-none-any.whl
# built by whool (pyproject.toml), written to dist/ or to the folder given as argument.
#   pip install dist/odoo_addon_iap_credits-*.whl    # then Odoo finds it without an addons path
# whool names the wheel after the folder it builds and copies the files git tracks. This
# checkout's folder may have any name, so the tracked files (as they are in the work tree) are
# copied to a folder named iap_credits outside any repository, and the wheel is built there.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/.state/env.sh"
OUT=$(realpath -m "${1:-$ROOT/dist}")
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bash "$ROOT/dev/stage-addon.sh" "$WORK"
cd "$WORK/iap_credits"
python -m pip wheel --no-deps --no-build-isolation --quiet --wheel-dir "$OUT" . >&2
ls "$OUT"/odoo_addon_iap_credits-*.whl
