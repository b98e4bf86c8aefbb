#!/usr/bin/env bash
# Set up and run the demo at http://127.0.0.1:8000: embedded SQLite, local files, one database
# task worker beside the web server. Ctrl-C stops both. DEBUG stays off, as on a site: the static
# files are collected and served by WhiteNoise, errors show the site's own pages. The demo listens
# on 127.0.0.1 over plain HTTP, so HTTPS (secure cookies, the redirect, HSTS) is off.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_SYSTEM_PACKAGES=0 scripts/bootstrap.sh
DEMO_PASSWORD=${DEMO_PASSWORD:-demo-password-2026}
PY=.venv/bin/python
export HTTPS=${HTTPS:-0}
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput --verbosity 0
$PY manage.py seed_demo --password "$DEMO_PASSWORD"
$PY manage.py db_worker --queue-name '*' --no-reload &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
# Where to go and how to log in as each role, before the server starts serving.
echo
$PY manage.py demo_welcome --url "http://127.0.0.1:8000/" --password "$DEMO_PASSWORD"
echo
$PY manage.py runserver 127.0.0.1:8000 --noreload
