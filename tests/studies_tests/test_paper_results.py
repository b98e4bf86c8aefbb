"""The results view for the paper: MRMC rows from a real study, the forest plot, reading time,
the methods-and-results draft (Markdown and Word) and the planning page that uses a study as pilot."""

import io
import json
import zipfile

import docx
import pytest
from django.test import Client

from cmr_reader.analysis import runs
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import build_study
from tests.studies_tests.test_study_analysis import complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def crossed_run(reader, other_reader) -> AnalysisRun:
    """12 cases both readers read (all overlap); the AI scores a point lower on most cases."""
    built = build_study(readers=[reader, other_reader], cases=12, overlap=12, non_inferiority_margin=0.5)
    for user, shift in ((reader, 0), (other_reader, 1)):
        for n, assignment in enumerate(Assignment.objects.filter(reader=user).order_by("position")):
            reference = 2 + (n + shift) % 4
            ai = max(1, reference - (n % (3 + shift) > 0))
            guess = assignment.ai_slot if n % 4 else ("B" if assignment.ai_slot == "A" else "A")
            complete(assignment, user, ai=ai, reference=reference, guess=guess)
            Assignment.objects.filter(pk=assignment.pk).update(active_seconds=60 + 10 * n)
    run = runs.run_analysis(runs.create_run(study=built.study, bootstrap=50, seed=4))
    assert run.state == AnalysisRun.State.DONE, run.error
    return run


def test_the_mrmc_rows_use_every_crossed_case(crossed_run):
    rows = crossed_run.results["mrmc"]
    assert [row["criterion"] for row in rows] == ["correctness", "completeness", "readability"]
    for row in rows:
        assert (row["readers"], row["cases"], row["cases_left_out"]) == (2, 12, 0)
        assert row["estimate"] == pytest.approx(row["ai_mean"] - row["reference_mean"])
        assert row["estimate"] < 0 and row["ci_low"] < row["estimate"] < row["ci_high"]
        assert row["components"]["n_cases"] == 12
    auc = crossed_run.results["blinding_auc"]
    assert auc["cases"] == 12 and 0.5 < auc["estimate"] < 1
    timing = crossed_run.results["reading_time"]
    assert timing["n"] == 24 and timing["median"] == pytest.approx(115)


def test_the_results_page_shows_mrmc_forest_plot_time_and_blinding(crossed_run, statistician):
    client = Client()
    client.force_login(statistician)
    page = client.get(f"/studies/{crossed_run.study_id}/analysis/results/").content.decode()
    for section in ('id="mrmc"', 'id="reading-time"', 'id="blinding-auc"', "plots/forest.svg"):
        assert section in page
    row = crossed_run.results["mrmc"][0]
    assert f"{row['estimate']:.3f}" in page
    svg = client.get(f"/studies/{crossed_run.study_id}/analysis/runs/{crossed_run.pk}/plots/forest.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_the_methods_draft_fills_its_numbers_from_the_run(crossed_run, statistician):
    client = Client()
    client.force_login(statistician)
    base = f"/studies/{crossed_run.study_id}/analysis/runs/{crossed_run.pk}"
    markdown = client.get(f"{base}/draft.md").content.decode()
    row = crossed_run.results["mrmc"][0]
    assert "## Methods" in markdown and "## References" in markdown
    assert f"| {row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f}) |" in markdown
    assert "non-inferior" in markdown and "-0.50 points" in markdown
    word = docx.Document(io.BytesIO(client.get(f"{base}/draft.docx").content))
    assert any(f"{row['estimate']:.2f}" in cell.text for table in word.tables for cell in table._cells)
    assert client.get(f"{base}/draft.pdf").status_code == 404


def test_the_bundle_holds_the_mrmc_tables_and_the_draft(crossed_run):
    with crossed_run.bundle.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        names = set(bundle.namelist())
        metadata = json.loads(bundle.read("export_metadata.json"))
    assert metadata["case_selection"] == []  # built by the service directly, not by a selection
    assert {
        "mrmc_ai_vs_reference.csv",
        "mrmc_which_is_ai_auc.csv",
        "methods_and_results.md",
        "methods_and_results.docx",
        "plots/forest.svg",
    } <= names


def test_a_reader_cannot_see_the_results_or_the_draft(crossed_run, reader):
    client = Client()
    client.force_login(reader)
    assert client.get(f"/studies/{crossed_run.study_id}/analysis/results/").status_code == 403
    base = f"/studies/{crossed_run.study_id}/analysis/runs/{crossed_run.pk}"
    assert client.get(f"{base}/draft.md").status_code == 403


def test_the_planning_page_sizes_a_study_from_a_pilot(crossed_run, coordinator, reader, other_reader):
    new = build_study(readers=[reader, other_reader], name="Main study", non_inferiority_margin=0.5)
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/studies/{new.study.pk}/analysis/plan/").content.decode()
    assert f"{crossed_run.pk}:correctness" in page and 'value="0.5"' in page
    result = client.get(
        f"/studies/{new.study.pk}/analysis/plan/",
        {
            "pilot": f"{crossed_run.pk}:correctness",
            "margin": "0.5",
            "true_difference": "0",
            "power": "0.8",
            "readers": "2,4",
        },
    ).content.decode()
    assert 'id="plan-result"' in result
    # The new study: 2 readers and 2 readers per case, so both read all 6 cases.
    assert "2 readers, 6 cases read by all of them" in result
    bad = client.get(
        f"/studies/{new.study.pk}/analysis/plan/",
        {
            "pilot": f"{crossed_run.pk}:correctness",
            "margin": "0.5",
            "true_difference": "0",
            "power": "0.8",
            "readers": "1",
        },
    ).content.decode()
    assert "Reader counts from 2 to 100." in bad


def test_the_headline_counts_the_cases_and_readers_the_statistics_rest_on(reader, other_reader, statistician):
    """12 cases, one reader each; only the first reader submits, so 6 of 12 cases were read, by 1
    of 2 readers: the paper must not say "2 radiologists read 12 cases"."""
    built = build_study(readers=[reader, other_reader], cases=12, readers_per_case=1, overlap=0)
    mine = Assignment.objects.filter(reader=reader).order_by("position")
    for n, assignment in enumerate(mine):
        complete(assignment, reader, ai=2 + n % 3, reference=3)
    started = Assignment.objects.filter(reader=other_reader).order_by("position").first()
    complete(started, other_reader, ai=3, reference=3, submit=False)  # a draft: not counted
    run = runs.run_analysis(runs.create_run(study=built.study, bootstrap=20, seed=1))
    assert run.state == AnalysisRun.State.DONE, run.error
    read = mine.count()
    assert 0 < read < 12
    counts = run.results["counts"]
    assert (counts["cases"], counts["cases_read"], counts["readers"], counts["readers_counted"]) == (
        12,
        read,
        2,
        1,
    )

    client = Client()
    client.force_login(statistician)
    markdown = client.get(f"/studies/{built.study.pk}/analysis/runs/{run.pk}/draft.md").content.decode()
    assert f"1 radiologist read {read} cases." in markdown
    # Every assignment is a reading, opened or not; the draft and the unopened ones do not count.
    assert (
        f"{read} of 12 readings entered the analysis: {read} of the study's 12 cases, by 1 of its 2 readers."
        in markdown
    )
    assert f"Small sample: {read} cases" in markdown
    for page in ("", "results/"):
        body = client.get(f"/studies/{built.study.pk}/analysis/{page}").content.decode()
        assert f"{read} of 12 cases read, by 1 of 2 readers; {read} of 12 readings counted" in body


def test_results_stored_before_the_read_counts_show_a_dash_not_the_assigned_numbers(
    crossed_run, statistician
):
    results = crossed_run.results
    for key in ("cases_read", "readers_counted"):
        del results["counts"][key]
    AnalysisRun.objects.filter(pk=crossed_run.pk).update(results=results)
    client = Client()
    client.force_login(statistician)
    body = client.get(f"/studies/{crossed_run.study_id}/analysis/").content.decode()
    assert "- of 12 cases read, by - of 2 readers" in body
    markdown = client.get(
        f"/studies/{crossed_run.study_id}/analysis/runs/{crossed_run.pk}/draft.md"
    ).content.decode()
    assert "- radiologists read - cases." in markdown


def test_a_chinese_page_names_the_criteria_by_their_chinese_labels(crossed_run, statistician):
    from cmr_reader.accounts import preferences

    english = Client()
    english.force_login(statistician)
    base = f"/studies/{crossed_run.study_id}/analysis"
    assert "Correctness" in english.get(f"{base}/").content.decode()
    preferences.save_preference(user=statistician, language="zh-hans")
    chinese = Client()
    chinese.force_login(statistician)
    for url in (f"{base}/", f"{base}/results/", f"{base}/runs/{crossed_run.pk}/draft.md"):
        page = chinese.get(url).content.decode()
        assert "正确性" in page and "Correctness" not in page, url
    # Results stored before the Chinese labels were kept fall back to the English ones.
    results = crossed_run.results
    for criterion in results["criteria"]:
        del criterion["label_zh"]
    AnalysisRun.objects.filter(pk=crossed_run.pk).update(results=results)
    assert "Correctness" in chinese.get(f"{base}/").content.decode()


def test_an_agreement_row_without_an_estimate_says_why_in_its_cell(crossed_run, statistician):
    results = crossed_run.results
    row = results["agreement"][0]
    row.update(estimate=None, ci_low=None, ci_high=None, ci_method="none: only one reader scored these cases")
    AnalysisRun.objects.filter(pk=crossed_run.pk).update(results=results)
    client = Client()
    client.force_login(statistician)
    page = client.get(f"/studies/{crossed_run.study_id}/analysis/").content.decode()
    assert '<td class="no-estimate">none: only one reader scored these cases</td>' in page
