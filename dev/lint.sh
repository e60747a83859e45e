#!/usr/bin/env bash
# Lint exactly what CI lints: ruff (lint + format check) and pylint-odoo.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/.state/env.sh"
cd "$ROOT"
echo "[lint] ruff" >&2
ruff check .
ruff format --check .
echo "[lint] pylint-odoo" >&2
pylint --rcfile=.pylintrc --score=n --disable=missing-readme $(git ls-files '*.py' | grep -v '^dev/' )
