"""After reading starts: cases and readers can be added; existing readings never change."""

import pytest

from cmr_reader.studies import assign
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import NOW, build_study, make_cases

pytestmark = pytest.mark.django_db


def snapshot():
    return set(
        Assignment.objects.values_list("public_id", "reader_id", "study_case_id", "position", "ai_slot")
    )


def test_new_cases_are_shared_among_readers_after_their_existing_readings(reader, other_reader):
    built = build_study(readers=[reader, other_reader], cases=4, readers_per_case=1, overlap=2)
    before = snapshot()
    added = make_cases(3, start=100)
    assign.add_cases(built.study, [c.pk for c in added])

    created = assign.extend(built.study, now=NOW)

    assert created == 3
    assert before <= snapshot()
    for user in (reader, other_reader):
        positions = list(
            Assignment.objects.filter(reader=user).order_by("position").values_list("position", flat=True)
        )
        assert positions == list(range(len(positions)))
    new = Assignment.objects.filter(study_case__case__in=added)
    assert new.count() == 3 and not new.filter(is_overlap=True).exists()


def test_a_new_reader_reads_the_overlap_set_with_balanced_sides(reader, other_reader, outsider):
    built = build_study(readers=[reader, other_reader], cases=6, readers_per_case=1, overlap=4)
    before = snapshot()
    assign.add_readers(built.study, [outsider])

    created = assign.extend(built.study, now=NOW)

    assert created == 4
    assert before <= snapshot()
    mine = Assignment.objects.filter(reader=outsider)
    overlap_cases = set(
        Assignment.objects.filter(reader=reader, is_overlap=True).values_list("study_case_id", flat=True)
    )
    assert set(mine.values_list("study_case_id", flat=True)) == overlap_cases
    sides = list(mine.values_list("ai_slot", flat=True))
    assert sides.count("A") == sides.count("B") == 2
    assert assign.extend(built.study, now=NOW) == 0  # nothing new: nothing added


def test_a_reader_with_a_single_reading_gets_new_cases_after_it(reader, other_reader):
    built = build_study(readers=[reader, other_reader], cases=2, readers_per_case=1, overlap=0)
    assert list(Assignment.objects.filter(reader=reader).values_list("position", flat=True)) == [0]
    added = make_cases(2, start=200)
    assign.add_cases(built.study, [c.pk for c in added])

    assert assign.extend(built.study, now=NOW) == 2

    for user in (reader, other_reader):
        assert list(
            Assignment.objects.filter(reader=user).order_by("position").values_list("position", flat=True)
        ) == [0, 1]
