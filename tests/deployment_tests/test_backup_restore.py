"""Backup and restore, for real: data and DICOM in, archive out, site wiped, everything back."""

import io
import tarfile

import pytest
from django.core.management import CommandError, call_command

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.studies import answers
from cmr_reader.studies.models import Answer, AnswerChange, Assignment
from tests.studies_tests.conftest import NOW, build_study

# The dump runs in another process (pg_dump) or over the file: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_with_data(settings, synthetic_case_dir, private_storage, reader, other_reader):
    settings.MEDIA_ROOT = private_storage.parent  # DICOM storage lives under MEDIA_ROOT, as deployed
    import_sources(
        iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    study = build_study(readers=[reader, other_reader], cases=2, overlap=0).study
    assignment = Assignment.objects.filter(reader=reader).first()
    answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.correctness", value=4, now=NOW)
    answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.correctness", value=5, now=NOW)
    files = {
        p.relative_to(private_storage): p.read_bytes() for p in private_storage.rglob("*") if p.is_file()
    }
    return study, files


def counts() -> dict:
    return {
        "cases": Case.objects.count(),
        "instances": Instance.objects.count(),
        "assignments": Assignment.objects.count(),
        "answers": Answer.objects.count(),
        "changes": AnswerChange.objects.count(),
    }


def test_a_wiped_site_comes_back_from_its_backup(site_with_data, private_storage, tmp_path):
    _study, files = site_with_data
    before = counts()
    assert before["instances"] > 10 and before["changes"] == 2
    archive = tmp_path / "backup.tar"

    call_command("backup_site", str(archive))
    call_command("flush", "--no-input")
    for path in private_storage.rglob("*"):
        if path.is_file():
            path.unlink()
    assert counts()["cases"] == 0

    call_command("restore_site", str(archive))

    assert counts() == before
    assert Answer.objects.get(item="A.correctness").value == 5
    restored = {
        p.relative_to(private_storage): p.read_bytes() for p in private_storage.rglob("*") if p.is_file()
    }
    assert restored == files


def test_restore_refuses_a_site_with_data_and_a_damaged_archive(site_with_data, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup_site", str(archive))
    before = counts()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore_site", str(archive))

    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/") and member.name.endswith(".dcm"):
                data = data[:-10] + b"x" * 10  # a flipped tail: the checksum no longer matches
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_site", str(damaged), "--force")
    assert counts() == before  # nothing was changed
