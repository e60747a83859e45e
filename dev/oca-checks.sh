#!/usr/bin/env bash
# pre-commit hook (see .pre-commit-config.yaml): OCA's checks of the Odoo module (manifest,
# XML and CSV data files), oca-checks-odoo-module.
# It finds an addon from a manifest *below* the repository's top, and names it after its
# folder: it would check nothing in this repository, whose top is the addon. So it checks a
# copy of the tracked files in a folder named iap_credits outside the repository; the paths
# it reports are given back relative to this checkout.
#   prefer-readme-rst: README.md is this project's manual (and rendered by the forges);
#   OCA generates README.rst from readme/*.rst with a tool that is not on PyPI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bash "$ROOT/dev/stage-addon.sh" "$WORK"
cd "$WORK/iap_credits"
set +e
find . -type f -print0 | xargs -0 oca-checks-odoo-module --disable=prefer-readme-rst "$@" > "$WORK/report" 2>&1
rc=$?
set -e
sed "s#${WORK#/}/iap_credits/##g; s#$WORK/iap_credits/##g" "$WORK/report"
exit $rc
