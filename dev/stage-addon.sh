#!/usr/bin/env bash
# Copy the files git tracks (as they are in the work tree) to DIR/iap_credits, for the tools
# that name the addon after its folder and look for it below a repository's top: whool
# (dev/wheel.sh) and OCA's module checks (dev/oca-checks.sh). This checkout may have any name.
#   bash dev/stage-addon.sh DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST="$1/iap_credits"
mkdir -p "$DEST"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && tar --null -T - --ignore-failed-read -cf -) | tar -xf - -C "$DEST"
