"""Finding a reader study the way the command-line tools name it: by id or by name."""

from cmr_reader.studies.models import ReaderStudy


def find_study(identifier: str) -> ReaderStudy | None:
    """The study whose id is ``identifier`` (all digits) or whose name it is; None if there is none."""
    if identifier.isdigit():
        return ReaderStudy.objects.filter(pk=int(identifier)).first()
    return ReaderStudy.objects.filter(name=identifier).first()
