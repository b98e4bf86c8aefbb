#!/usr/bin/env bash
# Set up everything, run the static checks, and run the whole suite twice: on SQLite (the embedded
# default) and on PostgreSQL (127.0.0.1:5432, trust auth; override with TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
PY=.venv/bin/python
POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

ensure_postgres() {
  if ! .venv/bin/python - "$POSTGRES_URL" <<'PYEOF' 2>/dev/null; then
import sys, psycopg
psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
PYEOF
    echo "test: PostgreSQL is not answering; trying to start the local cluster"
    if command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
      sleep 3
    fi
  fi
}

echo "== lint"
.venv/bin/ruff check .
echo "== import rules (.importlinter)"
.venv/bin/lint-imports
echo "== migrations are complete"
$PY manage.py makemigrations --check --dry-run >/dev/null
echo "== format (ruff format --check)"
.venv/bin/ruff format --check --quiet .
echo "== types (mypy on the Django-free packages)"
.venv/bin/mypy

# Each database gets the whole suite in two parts: most tests in parallel processes
# (pytest-xdist, one per core), then the tests marked serial (browsers, killed workers, leases)
# alone, so that their timings are not shared with anything else.
WORKERS=${TEST_WORKERS:-$(nproc)}
pytest_part() {  # exit status 5 (nothing selected: a path given with no test of this part) is fine
  local status=0
  $PY -m pytest "$@" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then return "$status"; fi
}
run_suite() {
  pytest_part -n "$WORKERS" -m "not serial" "$@"
  pytest_part -m serial "$@"
}
echo "== tests on SQLite"
(unset DATABASE_URL; run_suite "$@")
echo "== tests on PostgreSQL"
ensure_postgres
(export DATABASE_URL="$POSTGRES_URL"; run_suite "$@")
