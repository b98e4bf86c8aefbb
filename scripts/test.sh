#!/usr/bin/env bash
# Set up everything and run the whole suite twice: on SQLite (the embedded default) and on
# PostgreSQL (127.0.0.1:5432, trust auth; override with TEST_POSTGRES_URL).
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
echo "== tests on SQLite"
env -u DATABASE_URL $PY -m pytest "$@"
echo "== tests on PostgreSQL"
ensure_postgres
DATABASE_URL="$POSTGRES_URL" $PY -m pytest "$@"
