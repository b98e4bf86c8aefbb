"""Python's version and installed libraries' versions, for the provenance of exports and runs."""

import platform
from importlib import metadata


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Python's version and each installed distribution's ("not installed" where absent)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
