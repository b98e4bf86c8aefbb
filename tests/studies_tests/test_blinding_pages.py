"""The coordinator's side of blinding: pairs in one language, the audit stored with the study and
in the analysis bundle, and the per-case view of what readers will see."""

import io
import json
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.analysis.runs import create_run, run_analysis
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.blinding import run_blinding_audit
from cmr_reader.studies.models import BlindingAudit, ReaderStudy
from cmr_reader.studies.pairs import eligible_pairs, language_mismatches
from tests.studies_tests.conftest import NOW, make_cases

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def confirmed(study) -> dict:
    """What the confirmation page posts: the ticked box and the design it stated."""
    return {"confirm": "on", "design": assign.design_fingerprint(ReaderStudy.objects.get(pk=study.pk))}


def test_a_case_whose_ai_report_is_in_another_language_is_not_eligible_and_is_listed():
    english, chinese = make_cases(2)
    Report.objects.filter(case=chinese, source="reference").update(
        language="zh", text="检查所见：左心室正常。"
    )

    assert set(eligible_pairs()) == {english.pk}
    (mismatch,) = language_mismatches()
    assert (mismatch.case_id, mismatch.case_label) == (chinese.pk, chinese.case_id)
    assert (mismatch.reference_language, mismatch.ai_languages) == ("zh", ("en",))


def test_the_ai_report_in_the_references_language_is_paired_even_when_a_newer_one_is_not():
    (case,) = make_cases(1)
    english_ai = Report.objects.get(case=case, source="ai")
    newer_run = GenerationRun.objects.create(model_name="model-zh")
    Report.objects.create(
        case=case, source="ai", language="zh", text="检查所见：正常。", generation_run=newer_run
    )

    assert eligible_pairs() == {
        case.pk: (Report.objects.get(case=case, source="reference").pk, english_ai.pk)
    }
    assert language_mismatches() == []


def test_a_study_takes_only_pairs_in_one_language():
    english, chinese = make_cases(2)
    Report.objects.filter(case=chinese, source="ai").update(language="zh")
    study = ReaderStudy.objects.create(name="Languages")

    assert assign.add_cases(study, None) == 1
    assert list(study.study_cases.values_list("case_id", flat=True)) == [english.pk]


def test_the_study_page_lists_mismatched_cases_with_their_languages(coordinator):
    _english, chinese = make_cases(2)
    Report.objects.filter(case=chinese, source="ai").update(language="zh")
    study = ReaderStudy.objects.create(name="Languages")

    page = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()

    assert 'id="language-mismatches"' in page
    assert f"<td>{chinese.case_id}</td><td>en</td><td>zh</td>" in page


def draft_study(cases: int) -> ReaderStudy:
    make_cases(cases)
    study = ReaderStudy.objects.create(name="Audited", seed=11)
    assign.add_cases(study, None)
    return study


def test_running_the_audit_stores_it_with_the_study_and_shows_it(coordinator):
    study = draft_study(12)
    # The conftest's reports differ in form: "Reference findings n." against "Model findings n.".
    response = client_for(coordinator).post(f"/studies/{study.pk}/blinding-audit/")

    audit = BlindingAudit.objects.get(study=study)
    assert response.status_code == 302 and response["Location"].endswith("#blinding")
    assert audit.pair_count == 12 and audit.accuracy == 1.0 and audit.exceeds_threshold
    assert audit.result["withheld"]["reference"]["reports"] == 0
    page = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()
    assert 'id="audit-summary"' in page and "Told apart in 12 of 12 pairs" in page
    assert "Above the study&#x27;s threshold" in page or "Above the study's threshold" in page
    assert 'id="audit-features"' in page and "the word “reference”" in page


def test_a_study_with_too_few_pairs_says_so(coordinator):
    study = draft_study(3)

    audit = run_blinding_audit(study=study, now=timezone.now())

    assert audit.accuracy is None and not audit.exceeds_threshold
    assert (
        "Too few pairs to audit (3" in client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()
    )


def test_assigning_a_study_without_an_audit_makes_one_first(coordinator, reader):
    study = draft_study(4)
    ReaderStudy.objects.filter(pk=study.pk).update(readers_per_case=1)
    assign.add_readers(study, [reader])

    client_for(coordinator).post(f"/studies/{study.pk}/assign/", confirmed(study))

    study.refresh_from_db()
    assert study.state == ReaderStudy.State.ASSIGNED
    audit = BlindingAudit.objects.get(study=study)
    assert audit.created_at <= study.assigned_at


def test_assigning_after_cases_were_added_since_the_last_audit_audits_again(coordinator, reader):
    study = draft_study(4)
    ReaderStudy.objects.filter(pk=study.pk).update(readers_per_case=1)
    assign.add_readers(study, [reader])
    run_blinding_audit(study=study, now=timezone.now())
    make_cases(2, start=100)
    assign.add_cases(study, None)

    client_for(coordinator).post(f"/studies/{study.pk}/assign/", confirmed(study))

    assert list(
        BlindingAudit.objects.filter(study=study).order_by("id").values_list("pair_count", flat=True)
    ) == [4, 6]


def test_the_statistician_cannot_run_the_audit(statistician):
    study = draft_study(2)

    assert client_for(statistician).post(f"/studies/{study.pk}/blinding-audit/").status_code == 403
    assert not BlindingAudit.objects.exists()


def test_the_display_page_shows_each_arm_as_readers_see_it_and_what_was_withheld(coordinator):
    (case,) = make_cases(1)
    Report.objects.filter(case=case, source="reference").update(
        text="HISTORY: chest pain.\n\nFINDINGS:\n- LVEF 60%\n- Unchanged since the prior study.\nReported by [removed]"
    )
    study = ReaderStudy.objects.create(name="Display")
    assign.add_cases(study, None)

    page = client_for(coordinator).get(f"/studies/{study.pk}/display/").content.decode()

    assert "<p>Findings:<br>LVEF 60%.</p>" in page
    assert "section not shown:</span> chest pain." in page
    assert "earlier examination:</span> Unchanged since the prior study." in page
    assert "signature:</span> Reported by [removed]" in page
    assert "<p>Findings:<br>Model findings 0.<br>LVEF 58%.</p>" in page
    found = client_for(coordinator).get(f"/studies/{study.pk}/display/?case=nothing-like-it").content.decode()
    assert "No cases in this study match." in found


def test_the_analysis_bundle_and_dashboard_carry_the_latest_audit(reader, other_reader, statistician):
    make_cases(10)
    study = ReaderStudy.objects.create(name="Bundled", readers_per_case=2, seed=3)
    assign.add_default_criteria(study)
    assign.add_cases(study, None)
    assign.add_readers(study, [reader, other_reader])
    run_blinding_audit(study=study, now=NOW)
    assign.assign(study, now=NOW)

    run = run_analysis(create_run(study=study, bootstrap=20, seed=1))

    with run.bundle.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as bundle:
        audit = json.loads(bundle.read("blinding_audit.json"))
        metadata = json.loads(bundle.read("export_metadata.json"))
    assert audit["pairs"] == 10 and audit["accuracy"] == 1.0 and audit["exceeds_threshold"] is True
    assert "Clopper-Pearson" in audit["method"]
    assert metadata["randomisation"]["side_scheme"] == "big_stick"
    dashboard = client_for(statistician).get(f"/studies/{study.pk}/analysis/").content.decode()
    assert 'id="blinding-audit-line"' in dashboard and "in 10 of 10 pairs" in dashboard
