"""A study's analysis run: unblinding, the counted readings, the bundle, the dashboard, and the
promise that the dashboard and ``manage.py agreement`` on ratings.csv give the same numbers."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from cmr_reader.analysis import runs
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.runs import run_analysis_task
from cmr_reader.analysis.study_data import collect_study, rating_rows
from cmr_reader.studies import answers
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import NOW, build_study

pytestmark = pytest.mark.django_db

CRITERIA = ("correctness", "completeness", "readability")


def complete(
    assignment: Assignment, user, *, ai: int, reference: int, preference="ai", guess="A", submit=True
) -> None:
    """Answer every item as given (scores by arm), then submit."""
    ai_slot, reference_slot = assignment.ai_slot, "B" if assignment.ai_slot == "A" else "A"
    items = {}
    for criterion in CRITERIA:
        items[f"{ai_slot}.{criterion}"] = ai
        items[f"{reference_slot}.{criterion}"] = reference
    items.update({f"{slot}.error": False for slot in "AB"})
    items["pair.preference"] = {"ai": ai_slot, "reference": reference_slot, "equal": "equal"}[preference]
    items["pair.ai_guess"] = guess
    if guess != "unsure":
        items["pair.ai_confidence"] = 3
    for item, value in items.items():
        answers.save_answer(assignment_id=assignment.pk, user=user, item=item, value=value, now=NOW)
    if submit:
        answers.submit(assignment_id=assignment.pk, user=user, now=NOW)


@pytest.fixture
def read_study(reader, other_reader):
    """6 cases, 2 readers each (2 overlap): every reading submitted, varied scores."""
    built = build_study(readers=[reader, other_reader], non_inferiority_margin=0.5)
    for user, shift in ((reader, 0), (other_reader, 1)):
        for n, assignment in enumerate(Assignment.objects.filter(reader=user).order_by("position")):
            complete(
                assignment,
                user,
                ai=1 + (n + shift) % 5,
                reference=1 + (2 * n + shift) % 5,
                preference=("ai", "equal", "reference")[n % 3],
            )
    return built


def test_answers_are_unblinded_by_each_readings_own_side(read_study, reader):
    data = collect_study(read_study.study)
    for reading in data.readings:
        assignment = Assignment.objects.get(public_id=reading.assignment)
        stored = dict(assignment.answers.values_list("item", "value"))
        assert reading.answers["ai.correctness"] == stored[f"{assignment.ai_slot}.correctness"]
        reference_slot = "B" if assignment.ai_slot == "A" else "A"
        assert reading.answers["reference.correctness"] == stored[f"{reference_slot}.correctness"]
        # The reader guessed "A" every time: right exactly when the AI report was on A.
        assert reading.answers["pair.ai_guess"] == ("correct" if assignment.ai_slot == "A" else "wrong")
        assert reading.side("ai") == assignment.ai_slot


def test_only_submitted_first_reads_enter_the_statistics(reader, other_reader):
    built = build_study(readers=[reader, other_reader], name="Partial")
    first, second = Assignment.objects.filter(reader=reader).order_by("position")[:2]
    complete(first, reader, ai=4, reference=3)
    complete(second, reader, ai=2, reference=2, submit=False)  # a draft
    rows = rating_rows(collect_study(built.study))
    assert {row.case_id for row in rows} == {first.study_case.case.case_id}
    assert len(rows) == 2 * len(CRITERIA)


def test_the_dashboard_and_the_agreement_command_give_the_same_numbers(read_study, statistician, tmp_path):
    run = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=200, seed=11))
    assert run.state == AnalysisRun.State.DONE, run.error
    client = Client()
    client.force_login(statistician)
    ratings = tmp_path / "ratings.csv"
    ratings.write_bytes(client.get(f"/studies/{read_study.study.pk}/ratings.csv").content)
    output = tmp_path / "agreement.json"
    call_command(
        "agreement", "--input", str(ratings), "--bootstrap", "200", "--seed", "11", "--output", str(output)
    )

    from_command = json.loads(output.read_text())
    from_dashboard = run.results["agreement"] + run.results["pairwise_kappa"]

    def key(row):
        return tuple(
            str(row[k])
            for k in ("criterion", "arm", "coefficient", "weights", "level", "form", "raters", "tolerance")
        )

    assert len(from_command) == len(from_dashboard) > 100
    assert sorted(from_command, key=key) == sorted(from_dashboard, key=key)
    estimates = [row["estimate"] for row in from_dashboard if row["estimate"] is not None]
    assert len(estimates) > 50 and len(set(estimates)) > 10  # real numbers, not a constant

    # And the page shows them: one Fleiss kappa, formatted as on the dashboard.
    page = client.get(f"/studies/{read_study.study.pk}/analysis/").content.decode()
    fleiss = next(
        r for r in from_dashboard if r["coefficient"] == "fleiss_kappa" and r["estimate"] is not None
    )
    assert f"{fleiss['estimate']:.3f}" in page


def test_the_bundle_holds_every_table_the_workbook_and_its_metadata(read_study):
    run = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=50, seed=3))
    with run.bundle.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        names = set(bundle.namelist())
        expected = {
            "ratings_long.csv",
            "ratings_wide_by_item.csv",
            "ratings_wide_by_reader.csv",
            "agreement_by_criterion.csv",
            "pairwise_reader_kappa.csv",
            "ai_vs_reference_summary.csv",
            "score_distribution.csv",
            "confusion_tables.csv",
            "pair_items.csv",
            "readers.csv",
            "cases.csv",
            "analysis.xlsx",
            "export_metadata.json",
            "plots/likert.svg",
            "plots/likert.png",
            "plots/win-tie-loss.svg",
            "plots/kappa-correctness-ai.png",
        }
        assert expected <= names
        long_rows = list(csv.DictReader(io.StringIO(bundle.read("ratings_long.csv").decode("utf-8-sig"))))
        readings = Assignment.objects.filter(study=read_study.study).count()
        assert len(long_rows) == readings * 2 * len(CRITERIA)
        assert {row["arm"] for row in long_rows} == {"ai", "reference"}
        assert all(row["model_version"] == "tiny-cmr-model" for row in long_rows if row["arm"] == "ai")
        assert {row["presentation_side"] for row in long_rows} == {"A", "B"}
        metadata = json.loads(bundle.read("export_metadata.json"))
        workbook = load_workbook(io.BytesIO(bundle.read("analysis.xlsx")), read_only=True)
        assert workbook.sheetnames[:3] == ["ratings_long", "ratings_wide_by_item", "ratings_wide_by_reader"]
        sheet_rows = list(workbook["ratings_long"].iter_rows(values_only=True))
        assert len(sheet_rows) == len(long_rows) + 1
        assert sheet_rows[1][sheet_rows[0].index("score")] == int(long_rows[0]["score"])
        summary = list(
            csv.DictReader(io.StringIO(bundle.read("ai_vs_reference_summary.csv").decode("utf-8-sig")))
        )
    assert metadata["bootstrap"] == {"replicates": 50, "seed": 3, "method": metadata["bootstrap"]["method"]}
    assert metadata["scale"]["min"] == 1 and len(metadata["scale"]["criteria"]) == 3
    assert "never from the levels" in metadata["weights"]
    assert metadata["package_versions"]["statsmodels"] and metadata["code_version"]
    assert metadata["non_inferiority_margin"] == 0.5
    assert any(row["analysis"] == "non_inferiority" and row["margin"] == "-0.5" for row in summary)


def test_the_dashboard_shows_tables_and_serves_its_plots(read_study, statistician):
    run = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=0, seed=1))
    client = Client()
    client.force_login(statistician)
    page = client.get(f"/studies/{read_study.study.pk}/analysis/")
    assert page.status_code == 200
    body = page.content.decode()
    for section in ('id="agreement"', 'id="comparison"', 'id="pair-items"', 'id="plots"'):
        assert section in body
    svg = client.get(f"/studies/{read_study.study.pk}/analysis/runs/{run.pk}/plots/likert.svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.lstrip().startswith(b"<?xml")
    png = client.get(
        f"/studies/{read_study.study.pk}/analysis/runs/{run.pk}/plots/kappa-correctness-ai.png?download=1"
    )
    assert png.content.startswith(b"\x89PNG") and "attachment" in png["Content-Disposition"]
    assert (
        client.get(f"/studies/{read_study.study.pk}/analysis/runs/{run.pk}/plots/nonsense.svg").status_code
        == 404
    )
    bundle = client.get(f"/studies/{read_study.study.pk}/analysis/runs/{run.pk}/bundle.zip")
    assert zipfile.ZipFile(io.BytesIO(b"".join(bundle.streaming_content))).testzip() is None


def test_starting_a_run_queues_it_for_a_worker_and_the_worker_runs_it_once(
    read_study, coordinator, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/studies/{read_study.study.pk}/analysis/runs/", {"bootstrap": "100", "seed": "5"}
        )
    assert response.status_code == 302
    run = AnalysisRun.objects.get()
    assert run.state == AnalysisRun.State.QUEUED and (run.bootstrap, run.seed) == (100, 5)
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__run_id=str(run.pk)).exists()
    # While it is queued a second start is refused.
    client.post(f"/studies/{read_study.study.pk}/analysis/runs/", {"bootstrap": "100"})
    assert AnalysisRun.objects.count() == 1
    assert "progress" in client.get(f"/studies/{read_study.study.pk}/analysis/").content.decode()

    assert run_analysis_task.func(run_id=str(run.pk)) == {"state": "done"}
    assert run_analysis_task.func(run_id=str(run.pk)) == {"skipped": True}  # a duplicate delivery
    run.refresh_from_db()
    assert run.state == AnalysisRun.State.DONE and run.progress == 100 and run.bundle


def test_a_failed_run_keeps_the_previous_results_and_leaves_no_bundle(read_study, monkeypatch):
    good = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=0, seed=1))

    def broken(*args, **kwargs):
        raise MemoryError("out of memory in the middle")

    monkeypatch.setattr(runs, "write_bundle", broken)
    failed = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=0, seed=2))
    assert failed.state == AnalysisRun.State.FAILED and "out of memory" in failed.error
    assert not failed.bundle and failed.results == {}
    assert runs.latest_done(read_study.study) == good


def test_bad_run_parameters_are_refused_with_a_message(read_study, statistician):
    client = Client()
    client.force_login(statistician)
    response = client.post(f"/studies/{read_study.study.pk}/analysis/runs/", {"bootstrap": "-3"}, follow=True)
    assert AnalysisRun.objects.count() == 0
    assert "greater than or equal to 0" in response.content.decode()


def test_the_command_runs_the_analysis_and_writes_the_bundle(read_study, tmp_path):
    output = tmp_path / "bundle.zip"
    call_command(
        "analyse_study", str(read_study.study.pk), "--bootstrap", "0", "--seed", "9", "--output", str(output)
    )
    assert zipfile.ZipFile(output).testzip() is None
    assert AnalysisRun.objects.get().seed == 9


def test_the_ai_reports_are_scored_against_the_reference_reports_on_page_bundle_and_command(
    read_study, statistician
):
    # Every test case: reference "LVEF 60%", AI "LVEF 58%": EF within 5 points, so correct.
    run = runs.run_analysis(runs.create_run(study=read_study.study, bootstrap=0, seed=1))
    metrics = run.results["report_metrics"]
    (ef,) = [row for row in metrics["entity_accuracy"] if row["field"] == "lv_ef_pct"]
    assert (ef["n_reference"], ef["correct"], ef["wrong"], ef["omitted"]) == (6, 6, 0, 0)
    assert "entity_pairs" not in metrics  # per-case rows live in the bundle only
    (ba,) = [row for row in metrics["bland_altman"] if row["field"] == "lv_ef_pct"]
    assert ba["bias"] == pytest.approx(-2.0) and len(ba["points"]) == 6

    with run.bundle.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        pairs = list(csv.DictReader(io.StringIO(bundle.read("entity_pairs.csv").decode("utf-8-sig"))))
        assert "plots/bland-altman-lv_ef_pct.svg" in bundle.namelist()
        assert {"entity_accuracy.csv", "diagnostic_agreement.csv", "text_similarity.csv"} <= set(
            bundle.namelist()
        )
    assert len({row["case_id"] for row in pairs}) == 6
    assert {row["outcome"] for row in pairs if row["field"] == "lv_ef_pct"} == {"correct"}

    client = Client()
    client.force_login(statistician)
    page = client.get(f"/studies/{read_study.study.pk}/analysis/").content.decode()
    assert 'id="entity-accuracy"' in page and "lv_ef_pct" in page
    plot = client.get(
        f"/studies/{read_study.study.pk}/analysis/runs/{run.pk}/plots/bland-altman-lv_ef_pct.png"
    )
    assert plot.status_code == 200 and plot.content.startswith(b"\x89PNG")

    out = io.StringIO()
    call_command("report_metrics", "--study", read_study.study.name, stdout=out)
    assert json.loads(out.getvalue())["entity_accuracy"] == metrics["entity_accuracy"]
    out = io.StringIO()
    call_command(
        "report_metrics",
        "--study",
        str(read_study.study.pk),
        "--format",
        "csv",
        "--table",
        "critical_errors",
        stdout=out,
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {row["kind"] for row in rows} >= {"any"} and all(row["count"] == "0" for row in rows)
