#!/usr/bin/env bash
# The fast inner loop: everything static, then the fast tests on SQLite in parallel processes.
# The browser, Orthanc, PostgreSQL-server and slow tests (markers, tests/conftest.py) run in CI
# (`make test`). Assumes scripts/bootstrap.sh has run once. Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
step() {
  local name=$1; shift
  local start=$SECONDS
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}
step "ruff check" .venv/bin/ruff check .
step "ruff format" .venv/bin/ruff format --check --quiet .
step "import rules" .venv/bin/lint-imports
step "mypy (Django-free packages)" .venv/bin/mypy
step "fast tests" env -u DATABASE_URL $PY -m pytest -q -p no:cacheprovider -n "${CHECK_WORKERS:-2}" \
  -m "not browser and not orthanc and not postgres and not slow" "$@"
echo "== check: ${SECONDS} s in all"
