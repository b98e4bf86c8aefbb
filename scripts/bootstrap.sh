#!/usr/bin/env bash
# Install everything CMR Reader needs on a fresh Debian machine: system packages (Orthanc with its
# DICOMweb plugin for the PACS tests), a virtualenv with the Python requirements, and the
# migrated database. Safe to run again; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WITH_SYSTEM_PACKAGES=${WITH_SYSTEM_PACKAGES:-1}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
}

if [ "$WITH_SYSTEM_PACKAGES" = "1" ] && command -v apt-get >/dev/null; then
  # Orthanc for the PACS tests, Chromium for the browser tests, wrk for bench/bench_frames.py,
  # a CJK font so the analysis plots (PNG) and Chromium's screenshots draw Chinese text,
  # pg_dump/pg_restore for manage.py backup_site / restore_site, gettext for compilemessages.
  apt_install orthanc orthanc-dicomweb wrk chromium chromium-driver fonts-wqy-microhei postgresql-client gettext
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-inference.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python requirements"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# The image viewer (viewer/, Cornerstone3D) bundled by Vite into static/viewer/. Rebuilt when its
# sources, lock file or build configuration change.
if ! command -v npm >/dev/null; then
  if [ "$WITH_SYSTEM_PACKAGES" = "1" ] && command -v apt-get >/dev/null; then
    apt_install nodejs npm
  else
    echo "bootstrap: npm is needed to build the viewer (Node.js 20 or newer)" >&2
    exit 1
  fi
fi
viewer_stamp=static/viewer/.build.sha
viewer_want=$(cat viewer/package-lock.json viewer/vite.config.js $(find viewer/src -type f | sort) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$viewer_stamp" 2>/dev/null)" != "$viewer_want" ]; then
  echo "bootstrap: building the viewer"
  (cd viewer && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build -- --logLevel error)
  echo "$viewer_want" > "$viewer_stamp"
fi

# The translation catalogues (locale/*/LC_MESSAGES/*.po) compiled to the .mo files Django reads;
# the .mo are built here, never committed (docs/guides/translators.md). Without GNU gettext
# (the demo installs no system packages) polib, a dev requirement, writes the same files.
if command -v msgfmt >/dev/null; then
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
else
  echo "bootstrap: msgfmt (Debian's gettext) not found; compiling the catalogues with polib"
  .venv/bin/python - <<'PYEOF'
import pathlib, polib
for po in pathlib.Path("locale").glob("*/LC_MESSAGES/*.po"):
    polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
PYEOF
fi
