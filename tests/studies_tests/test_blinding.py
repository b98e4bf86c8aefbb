"""Nothing a reader can fetch tells which report the model wrote.

The swap test: render everything a reader sees for an assignment, then move the AI report to
the other slot *and* swap the two texts, so each slot shows the same words as before. If any
byte of any response depended on which slot holds the AI report (an id, an attribute, an order,
a class, a size), the two renderings would differ.
"""

import json
import re

import pytest
from django.test import Client

from cmr_reader.reports.models import Report
from cmr_reader.studies.models import Assignment
from tests.dicomweb_tests.stored import make_series, store_instance
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+(")')
FORBIDDEN = (
    "ai_slot",
    "ai_report",
    "reference_report",
    "generation",
    "tiny-cmr-model",
    "Reference (radiologist)",
)


def reader_responses(client: Client, assignment: Assignment) -> dict[str, bytes]:
    case = assignment.study_case.case
    pages = {
        "home": client.get("/"),
        "reading home": client.get("/reading/"),
        "continue": client.get(f"/reading/studies/{assignment.study_id}/continue/"),
        "case page": client.get(f"/reading/cases/{assignment.public_id}/"),
        "answer": client.post(
            f"/reading/cases/{assignment.public_id}/answer/",
            {"item": "A.correctness", "value": 4},
            content_type="application/json",
        ),
        "incomplete submit": client.post(
            f"/reading/cases/{assignment.public_id}/submit/", HTTP_ACCEPT="application/json"
        ),
        "qido": client.get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+json"),
        "metadata": client.get(f"/dicomweb/studies/{case.study_instance_uid}/metadata"),
    }
    out = {}
    for name, response in pages.items():
        assert response.status_code < 500, name
        body = b"".join(response.streaming_content) if response.streaming else response.content
        out[name] = (
            TOKEN.sub(rb"\1-\2", body)
            + f" status={response.status_code} location={response.get('Location')}".encode()
        )
    return out


def swap_sides(assignment: Assignment) -> None:
    """AI report to the other slot, and the texts swapped so each slot shows the same words."""
    pair = assignment.study_case
    ai, reference = Report.objects.get(pk=pair.ai_report_id), Report.objects.get(pk=pair.reference_report_id)
    ai.text, reference.text = reference.text, ai.text
    ai.save(update_fields=["text"])
    reference.save(update_fields=["text"])
    Assignment.objects.filter(pk=assignment.pk).update(ai_slot="B" if assignment.ai_slot == "A" else "A")
    # The answer given in the first pass is cleared so both passes start from the same state.
    assignment.answers.all().delete()
    assignment.answer_changes.all().delete()


@pytest.fixture
def reader_case(reader, other_reader, private_storage):
    built = build_study(readers=[reader, other_reader], cases=2, readers_per_case=2, overlap=2)
    for number, case in enumerate(built.cases):
        store_instance(
            series=make_series(case=case, number=1, description="cine"),
            number=1,
            root=private_storage,
            seed=number,
        )
    return (
        Assignment.objects.select_related("study_case__case")
        .filter(reader=reader)
        .order_by("position")
        .first()
    )


def test_every_reader_response_is_identical_whichever_slot_holds_the_ai_report(reader_case, reader):
    client = Client()
    client.force_login(reader)

    before = reader_responses(client, reader_case)
    swap_sides(reader_case)
    after = reader_responses(
        client, Assignment.objects.select_related("study_case__case").get(pk=reader_case.pk)
    )

    for name in before:
        assert before[name] == after[name], f"{name} changes with the AI slot"


def test_reader_pages_name_no_report_source_or_model(reader_case, reader):
    client = Client()
    client.force_login(reader)
    for name, body in reader_responses(client, reader_case).items():
        text = body.decode("utf-8", "replace")
        for word in FORBIDDEN:
            assert word not in text, (name, word)
        for report_id in (reader_case.study_case.ai_report_id, reader_case.study_case.reference_report_id):
            assert f"report-{report_id}" not in text and f'"report": {report_id}' not in text


def test_the_two_report_panels_have_the_same_markup_apart_from_their_letter_and_text(reader_case, reader):
    client = Client()
    client.force_login(reader)
    html = client.get(f"/reading/cases/{reader_case.public_id}/").content.decode()
    panels = re.findall(r'<section class="report".*?</section>', html, re.S)
    assert len(panels) == 2
    # The text's element with it: its lang attribute is read from the text itself (reader_views).
    texts = [re.search(r'<div class="report-text"[^>]*>.*?</div>', p, re.S).group(0) for p in panels]
    skeletons = [
        p.replace(t, "").replace("A", "?").replace("B", "?") for p, t in zip(panels, texts, strict=True)
    ]
    assert skeletons[0] == skeletons[1]
    answer = json.loads(
        client.post(
            f"/reading/cases/{reader_case.public_id}/answer/",
            {"item": "B.error", "value": True},
            content_type="application/json",
        ).content
    )
    assert set(answer) == {"ok", "version", "missing"}


# The form of the reports: the reference keeps its author's shape in storage, and readers still
# get both in one layout.
REFERENCE_SHAPES = [
    "CLINICAL HISTORY: Chest pain.\n\nThe LV is not dilated.\n- Septum 22 mm\n- No LGE\n\nCONCLUSIONS:\n1. Septal HCM\n\nReported by [removed]",
    "MRI REPORT\nFINDINGS:\nThe LV is not dilated. Septum 22 mm. No LGE.\nIMPRESSION: Septal HCM\nReport date: [removed] 14:32",
    "Comparison: [removed].\nThe LV is not dilated, septum 22 mm; no LGE.\nSeptum 22 mm.\nNo interval change since [removed].\nNo LGE.\nSUMMARY\nSeptal HCM.",
]
AI_SHAPE = "Findings:\nThe LV is dilated. Septum 18 mm. Patchy LGE.\n\nImpression:\nDilated cardiomyopathy."


@pytest.mark.parametrize("reference_text", REFERENCE_SHAPES)
def test_a_reader_cannot_tell_the_source_from_the_layout_of_the_two_reports(
    reader_case, reader, reference_text
):
    pair = reader_case.study_case
    Report.objects.filter(pk=pair.reference_report_id).update(text=reference_text)
    Report.objects.filter(pk=pair.ai_report_id).update(text=AI_SHAPE)
    client = Client()
    client.force_login(reader)

    html = client.get(f"/reading/cases/{reader_case.public_id}/").content.decode()

    texts = re.findall(r'<div class="report-text"[^>]*>(.*?)</div>', html, re.S)
    assert len(texts) == 2
    for text in texts:
        assert "[removed]" not in text and "Reported by" not in text and "14:32" not in text
        assert "<p>Findings:<br>" in text and "<p>Impression:<br>" in text
        assert re.search(r"^\s*(?:-|\d\.)", re.sub(r"<[^>]+>", "\n", text), re.M) is None  # no list markers
    # Three findings sentences and one impression each: the same layout, word for word.
    skeletons = [re.sub(r"(<br>|\n)([^<\n]+)", lambda m: m.group(1) + "S", text) for text in texts]
    assert skeletons[0] == skeletons[1]
