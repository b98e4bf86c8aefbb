"""What code and which libraries produced a result, for the provenance of exports and runs."""

import platform
import subprocess
from functools import cache
from importlib import metadata
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


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
