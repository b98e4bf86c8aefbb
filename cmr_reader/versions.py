"""What code produced a result, for the provenance of exports and runs (library versions:
``cmr_reader.domain.package_versions``)."""

import subprocess
from functools import cache
from pathlib import Path

from django.conf import settings


@cache
def code_version() -> str:
    """CMR_READER_VERSION from the environment (set by deployments), else the git commit, else "unknown"."""
    configured = getattr(settings, "CODE_VERSION", "")
    if configured:
        return configured
    try:
        result = subprocess.run(
            ["git", "-C", str(Path(settings.BASE_DIR)), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"
