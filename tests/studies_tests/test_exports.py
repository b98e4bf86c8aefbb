"""Exports turn the reader's slots back into reference / AI, and keep every change."""

import csv
import io

import pytest
from django.test import Client

from cmr_reader.studies import answers
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import NOW

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    # Exports start with a byte-order mark, for Excel (docs/decisions/0015).
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_ratings_are_unblinded_by_each_assignments_own_side(assigned_study, reader, statistician):
    on_a = Assignment.objects.filter(reader=reader, ai_slot="A").first()
    on_b = Assignment.objects.filter(reader=reader, ai_slot="B").first()
    for assignment in (on_a, on_b):
        answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.correctness", value=5, now=NOW)
        answers.save_answer(assignment_id=assignment.pk, user=reader, item="B.correctness", value=2, now=NOW)
        answers.save_answer(
            assignment_id=assignment.pk, user=reader, item="pair.preference", value="A", now=NOW
        )

    client = Client()
    client.force_login(statistician)
    rows = rows_of(client.get(f"/studies/{assigned_study.study.pk}/answers.csv"))

    def row(assignment, arm, criterion):
        (found,) = [
            r
            for r in rows
            if r["assignment"] == assignment.public_id and r["arm"] == arm and r["criterion"] == criterion
        ]
        return found["score"]

    assert row(on_a, "ai", "correctness") == "5" and row(on_a, "reference", "correctness") == "2"
    assert row(on_b, "ai", "correctness") == "2" and row(on_b, "reference", "correctness") == "5"
    assert row(on_a, "pair", "preference") == "ai" and row(on_b, "pair", "preference") == "reference"


def test_the_unblinding_key_and_the_audit_history_cover_every_assignment_and_change(
    assigned_study, reader, coordinator
):
    assignment = Assignment.objects.filter(reader=reader).first()
    answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.readability", value=3, now=NOW)
    answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.readability", value=4, now=NOW)
    client = Client()
    client.force_login(coordinator)

    key = rows_of(client.get(f"/studies/{assigned_study.study.pk}/unblinding.csv"))
    audit = rows_of(client.get(f"/studies/{assigned_study.study.pk}/audit.csv"))

    assert len(key) == Assignment.objects.count()
    mine = next(r for r in key if r["assignment"] == assignment.public_id)
    assert mine["ai_slot"] == assignment.ai_slot and mine["reference_slot"] != assignment.ai_slot
    assert [(r["old_value"], r["new_value"]) for r in audit] == [("", "3"), ("3", "4")]


def test_the_ratings_export_is_what_the_agreement_command_reads(
    assigned_study, reader, other_reader, statistician, tmp_path
):
    from django.core.management import call_command

    for user in (reader, other_reader):
        for assignment in Assignment.objects.filter(reader=user, is_overlap=True):
            for slot, score in (("A", 4), ("B", 3)):
                answers.save_answer(
                    assignment_id=assignment.pk, user=user, item=f"{slot}.correctness", value=score, now=NOW
                )
            answers.save_answer(
                assignment_id=assignment.pk, user=user, item="pair.preference", value="B", now=NOW
            )
    client = Client()
    client.force_login(statistician)
    export = tmp_path / "ratings.csv"
    export.write_bytes(client.get(f"/studies/{assigned_study.study.pk}/ratings.csv").content)
    assert all(
        r["arm"] in ("reference", "ai")
        for r in rows_of(client.get(f"/studies/{assigned_study.study.pk}/ratings.csv"))
    )

    out = tmp_path / "agreement.json"
    call_command("agreement", "--input", str(export), "--output", str(out))
    assert out.read_text().strip()
