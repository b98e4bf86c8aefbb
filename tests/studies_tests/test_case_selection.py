"""A coordinator adds cases to a draft study by the Cases page's filters, all eligible matches or
a seeded (stratified) sample; every addition is recorded with its filters, seed and strata."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.analysis.bundle import export_metadata
from cmr_reader.analysis.study_data import collect_study
from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign, case_list
from cmr_reader.studies.models import ReaderStudy, StudyCase, StudyCaseSelection
from tests.studies_tests.conftest import NOW
from tests.studies_tests.selection_factories import make_case, make_cases_of

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(name: str = "Selection study") -> ReaderStudy:
    study = ReaderStudy.objects.create(name=name, seed=1)
    assign.add_default_criteria(study)
    return study


def case_labels(study: ReaderStudy) -> set[str]:
    return set(study.study_cases.values_list("case__case_id", flat=True))


def test_adding_by_filter_adds_only_the_eligible_matching_cases_and_records_it(coordinator):
    hcm = make_cases_of({"hcm": 4})
    make_cases_of({"normal": 2}, start=10)
    make_case(20, diagnosis="hcm", ai_language=None)  # no AI report
    make_case(21, diagnosis="hcm", language="zh", ai_language="en")  # reports in two languages
    study = draft()

    response = client_for(coordinator).post(f"/studies/{study.pk}/cases/select/", {"diagnosis": "hcm"})

    assert response.status_code == 302
    assert case_labels(study) == {case.case_id for case in hcm}
    selection = StudyCaseSelection.objects.get(study=study)
    assert selection.action == "add" and selection.created_by == coordinator
    assert selection.filters == {"diagnosis": "hcm"}
    assert (selection.matching_count, selection.available_count, selection.case_count) == (6, 4, 4)
    assert selection.sample_size is None and selection.seed is None
    assert set(study.study_cases.values_list("selection", flat=True)) == {selection.pk}


def test_the_preview_says_how_many_matching_cases_are_eligible_and_adds_nothing(coordinator):
    make_cases_of({"hcm": 4})
    make_case(20, diagnosis="hcm", ai_language=None)
    make_case(21, diagnosis="hcm", language="zh", ai_language="en")
    study = draft()
    assign.add_cases(study, [Case.objects.get(case_id="CMR-SEL000000").pk])

    page = client_for(coordinator).get(f"/studies/{study.pk}/cases/select/", {"diagnosis": "hcm"})

    text = page.content.decode()
    assert "6 cases match the filters" in text
    assert "4 of them are eligible" in text
    assert "1 eligible case is already in the study" in text
    assert "Add 3 cases" in text
    assert study.study_cases.count() == 1 and not StudyCaseSelection.objects.exists()


def test_a_stratified_sample_records_its_seed_and_strata_and_is_drawn_again_from_them(coordinator):
    make_cases_of({"hcm": 5, "normal": 20, "dcm": 10})
    study = draft()

    client_for(coordinator).post(
        f"/studies/{study.pk}/cases/select/",
        {"sample_size": 7, "seed": "", "stratify_by": "diagnosis", "allocation": "proportional"},
    )

    selection = StudyCaseSelection.objects.get(study=study)
    assert selection.seed is not None  # drawn, and kept
    assert (selection.sample_size, selection.stratify_by, selection.allocation) == (
        7,
        "diagnosis",
        "proportional",
    )
    assert selection.strata == [
        {"stratum": "dcm", "available": 10, "chosen": 2},
        {"stratum": "hcm", "available": 5, "chosen": 1},
        {"stratum": "normal", "available": 20, "chosen": 4},
    ]
    diagnoses = list(study.study_cases.values_list("reference_report__diagnosis", flat=True))
    assert sorted(diagnoses) == ["dcm", "dcm", "hcm", "normal", "normal", "normal", "normal"]

    again = draft("Drawn again")
    case_list.add_selection(
        study=again,
        filters=selection.filters,
        sample_size=selection.sample_size,
        seed=selection.seed,
        stratify_by=selection.stratify_by,
        allocation=selection.allocation,
        user=coordinator,
        now=timezone.now(),
    )
    assert case_labels(again) == case_labels(study)


def test_an_equal_allocation_enriches_the_rare_stratum(coordinator):
    make_cases_of({"hcm": 2, "normal": 30, "dcm": 10})
    study = draft()

    client_for(coordinator).post(
        f"/studies/{study.pk}/cases/select/",
        {"sample_size": 8, "seed": 11, "stratify_by": "diagnosis", "allocation": "equal"},
    )

    selection = StudyCaseSelection.objects.get(study=study)
    assert {row["stratum"]: row["chosen"] for row in selection.strata} == {"dcm": 3, "hcm": 2, "normal": 3}
    assert selection.seed == 11 and selection.case_count == 8


def test_a_sample_stratified_by_sex_puts_an_unrecorded_sex_in_a_stratum_of_its_own(coordinator):
    for n in range(6):
        make_case(n, sex="MF"[n % 2])
    make_case(6, sex="")
    study = draft()

    selection = case_list.add_selection(
        study=study,
        filters={},
        sample_size=7,
        seed=3,
        stratify_by="sex",
        allocation="proportional",
        user=coordinator,
        now=timezone.now(),
    )

    assert {row["stratum"]: row["available"] for row in selection.strata} == {"F": 3, "M": 3, "unknown": 1}
    assert selection.case_count == 7


def test_a_sample_is_drawn_from_the_eligible_cases_not_yet_in_the_study(coordinator):
    cases = make_cases_of({"normal": 10})
    study = draft()
    assign.add_cases(study, [case.pk for case in cases[:6]])

    selection = case_list.add_selection(
        study=study,
        filters={},
        sample_size=3,
        seed=5,
        stratify_by="",
        allocation="",
        user=coordinator,
        now=timezone.now(),
    )

    assert (selection.available_count, selection.case_count) == (4, 3)
    assert study.study_cases.count() == 9


def test_a_seed_without_a_sample_size_is_refused(coordinator):
    make_cases_of({"normal": 3})
    study = draft()

    page = client_for(coordinator).post(f"/studies/{study.pk}/cases/select/", {"seed": 4})

    assert page.status_code == 200 and "A seed or strata need a sample size." in page.content.decode()
    assert not study.study_cases.exists() and not StudyCaseSelection.objects.exists()


def test_every_eligible_case_is_one_recorded_selection(coordinator):
    make_cases_of({"normal": 3})
    make_case(9, ai_language=None)
    study = draft()

    client_for(coordinator).post(f"/studies/{study.pk}/cases/")

    selection = StudyCaseSelection.objects.get(study=study)
    assert (selection.filters, selection.case_count) == ({}, 3)
    page = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()
    assert 'id="case-selection-history"' in page and "every eligible case" in page


def test_filters_and_samples_are_for_a_draft_only(coordinator, reader):
    make_cases_of({"normal": 3})
    study = draft()
    assign.add_cases(study, None)
    assign.add_readers(study, [reader])
    ReaderStudy.objects.filter(pk=study.pk).update(readers_per_case=1)
    assign.assign(study, now=NOW)
    make_cases_of({"hcm": 2}, start=10)

    response = client_for(coordinator).post(f"/studies/{study.pk}/cases/select/", {"diagnosis": "hcm"})

    assert response.status_code == 302 and study.study_cases.count() == 3


def test_adding_many_cases_takes_the_same_few_queries_as_adding_a_few(
    coordinator, django_assert_max_num_queries
):
    # One eligibility computation and batched inserts: the number of queries does not grow with
    # the cases (a query or two per case used to make 20,000 cases take minutes).
    run = GenerationRun.objects.create(model_name="bulk")
    cases = Case.objects.bulk_create(
        Case(case_id=f"CMR-BULK{n:05d}", patient_pseudonym=f"B{n}", study_instance_uid=f"2.25.55{n}")
        for n in range(600)
    )
    Report.objects.bulk_create(
        report
        for case in cases
        for report in (
            Report(case=case, source="reference", language="en", text="Normal.", diagnosis="normal"),
            Report(case=case, source="ai", language="en", text="Normal.", generation_run=run),
        )
    )
    study, every = draft(), draft("Every case")

    with django_assert_max_num_queries(30):
        selection = case_list.add_selection(
            study=study,
            filters={},
            sample_size=500,
            seed=1,
            stratify_by="diagnosis",
            allocation="proportional",
            user=coordinator,
            now=timezone.now(),
        )
    with django_assert_max_num_queries(20):
        added = assign.add_cases(every, None)

    assert selection.case_count == 500 and added == 600
    assert StudyCase.objects.filter(study=study).count() == 500


def test_the_preview_adds_exactly_what_it_showed(coordinator):
    make_cases_of({"hcm": 3, "normal": 9})
    make_case(30, diagnosis="hcm", language="zh", ai_language="zh", sex="F")
    study = draft()
    client = client_for(coordinator)
    shown = {
        "diagnosis": "hcm",
        "kind": [],
        "sample_size": 2,
        "seed": 8,
        "stratify_by": "language",
        "allocation": "equal",
    }

    page = client.get(f"/studies/{study.pk}/cases/select/", shown).content.decode()

    form = page[page.index('<form method="post"') : page.index("</form>", page.index('<form method="post"'))]
    posted = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert "Add 2 cases" in form
    client.post(f"/studies/{study.pk}/cases/select/", posted)
    selection = StudyCaseSelection.objects.get(study=study)
    assert selection.filters == {"diagnosis": "hcm"}
    assert (selection.seed, selection.stratify_by, selection.allocation) == (8, "language", "equal")
    assert {row["stratum"]: row["chosen"] for row in selection.strata} == {"en": 1, "zh": 1}


def test_the_analysis_bundle_says_how_the_case_list_was_built(coordinator):
    make_cases_of({"hcm": 5, "normal": 20})
    study = draft()
    client_for(coordinator).post(
        f"/studies/{study.pk}/cases/select/",
        {"sample_size": 6, "seed": "42", "stratify_by": "diagnosis", "allocation": "equal"},
    )

    data = collect_study(study)
    (entry,) = export_metadata(data, {"parameters": PARAMETERS, "counts": {}})["case_selection"]
    assert (entry["seed"], entry["sample_size"], entry["stratify_by"], entry["allocation"]) == (
        42,
        6,
        "diagnosis",
        "equal",
    )
    assert {row["stratum"]: row["chosen"] for row in entry["strata"]} == {"hcm": 3, "normal": 3}


PARAMETERS = {
    "scale_min": 1,
    "scale_max": 5,
    "missing_data_rule": "",
    "bootstrap": 0,
    "seed": 1,
    "non_inferiority_margin": None,
    "zero_method": "wilcox",
}
