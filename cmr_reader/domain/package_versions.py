"""Python's version, installed libraries' versions and the code's own version, for the
provenance of exports, runs and trained models."""

import platform
import subprocess
from importlib import metadata
from pathlib import Path


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Python's version and each installed distribution's ("not installed" where absent)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def repository_version(folder: Path, *, configured: str = "") -> str:
    """``configured`` (a deployment's CMR_READER_VERSION) if set, else the git commit of the
    checkout at ``folder`` (with -dirty), else "unknown"."""
    if configured:
        return configured
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"
