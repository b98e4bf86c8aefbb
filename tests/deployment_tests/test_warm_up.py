"""A web process loads its views and catalogues before its first request (cmr_reader/warm_up.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
before = set(sys.modules)
import cmr_reader.wsgi  # and nothing else: no request, no URL resolved
from django.db import connections
print(json.dumps({
    "open_connections": [alias for alias in connections if connections[alias].connection is not None],
    "views_before": [m for m in ("cmr_reader.studies.coordinator_views", "cmr_reader.analysis.views") if m in before],
    "loaded": [m for m in ("cmr_reader.studies.coordinator_views", "cmr_reader.analysis.views", "cmr_reader.studies.reader_views") if m in sys.modules],
}))
"""


def test_importing_the_wsgi_application_loads_every_view(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DATA_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["views_before"] == []
    # gunicorn --preload forks after this: no connection may be open to be shared by the workers.
    assert seen["open_connections"] == []
    assert seen["loaded"] == [
        "cmr_reader.studies.coordinator_views",
        "cmr_reader.analysis.views",
        "cmr_reader.studies.reader_views",
    ]
