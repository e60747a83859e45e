#!/usr/bin/env bash
# `make lint` (and the first step of `make test`): every hook of .pre-commit-config.yaml on
# every tracked file — OCA's module checks, prettier, pre-commit-hooks, ruff (lint and format),
# pylint-odoo. Hooks that fix files (prettier, ruff, whitespace) fail when they changed
# something: look at the diff, commit it. Extra arguments go to pre-commit, e.g. a hook id.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/.state/env.sh"
cd "$ROOT"
# The tools of the main virtualenv first (env.sh), then those of the lint virtualenv and npm.
export PATH="$PATH:$LINT_VENV/bin:$NODE_MODULES/.bin" NODE_PATH="$NODE_MODULES"
echo "[lint] pre-commit run --all-files" >&2
exec pre-commit run --all-files --show-diff-on-failure "$@"
