"""What code produced a result, for the provenance of exports and runs (library versions:
``cmr_reader.domain.package_versions``)."""

from functools import cache
from pathlib import Path

from django.conf import settings

from cmr_reader.domain.package_versions import repository_version


@cache
def code_version() -> str:
    """CMR_READER_VERSION from the environment (set by deployments), else the git commit, else "unknown"."""
    return repository_version(Path(settings.BASE_DIR), configured=getattr(settings, "CODE_VERSION", ""))
