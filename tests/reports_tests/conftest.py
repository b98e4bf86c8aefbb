import pytest

from cmr_reader.imaging.models import Case
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from tests.reports_tests.upload_support import accession, study_uid


@pytest.fixture
def linked_cases(db) -> list[Case]:
    """Three imported cases, linked to their RIS identifiers by the site's keyed hashes."""
    pseudonymizer = site_pseudonymizer()
    return [
        Case.objects.create(
            case_id=f"CMR-UP{n:06d}",
            patient_pseudonym=f"P{n}",
            study_instance_uid=f"2.25.{8000 + n}",
            accession_hash=pseudonymizer.hash_identifier(accession(n)),
            original_study_uid_hash=pseudonymizer.hash_identifier(study_uid(n)),
        )
        for n in range(3)
    ]
