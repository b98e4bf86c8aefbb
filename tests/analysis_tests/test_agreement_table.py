import math

import numpy as np
import pytest

from cmr_reader.analysis.agreement.fleiss import fleiss_kappa
from cmr_reader.analysis.agreement.ratings_csv import RatingRow
from cmr_reader.analysis.agreement.table import agreement_table, ratings_matrices
from tests.analysis_tests.reference_datasets import FLEISS_1971_DIAGNOSES, GWET_RAW_4_RATERS

READERS = ["alice", "bob", "charlie", "dana", "erin", "frank"]


def _long_rows(matrix: np.ndarray, *, criterion: str = "diagnosis", arm: str = "ai") -> list[RatingRow]:
    return [
        RatingRow(
            case_id=f"case{i:02d}",
            reader_id=READERS[j],
            criterion=criterion,
            arm=arm,
            score=None if math.isnan(matrix[i, j]) else float(matrix[i, j]),
            line=2 + i * matrix.shape[1] + j,
        )
        for i in range(matrix.shape[0])
        for j in range(matrix.shape[1])
    ]


def _row(table: list[dict], **labels) -> dict:
    (found,) = [row for row in table if all(row[key] == value for key, value in labels.items())]
    return found


def test_ratings_matrices_put_cases_in_rows_and_readers_in_columns():
    rows = _long_rows(GWET_RAW_4_RATERS)

    ((key, (matrix, readers)),) = ratings_matrices(rows).items()

    assert key == ("diagnosis", "ai")
    assert readers == READERS[:4]
    np.testing.assert_array_equal(matrix, GWET_RAW_4_RATERS)


def test_fleiss_row_matches_fleiss_1971():
    table = agreement_table(_long_rows(FLEISS_1971_DIAGNOSES), scale_min=1, scale_max=5)

    row = _row(table, coefficient="fleiss_kappa")

    assert row["estimate"] == pytest.approx(0.430, abs=5e-4)
    assert row["estimate"] == pytest.approx(fleiss_kappa(FLEISS_1971_DIAGNOSES).estimate, abs=1e-12)
    assert row["landis_koch"] == "moderate"
    assert (row["n_subjects"], row["n_raters"], row["n_ratings"]) == (30, 6, 180)


def test_every_group_gets_the_same_list_of_coefficient_rows():
    rows = _long_rows(GWET_RAW_4_RATERS, arm="ai") + _long_rows(GWET_RAW_4_RATERS, arm="reference")

    table = agreement_table(rows, scale_min=1, scale_max=5)

    ai = [
        (r["coefficient"], r["weights"], r["level"], r["form"], r["raters"], r["tolerance"])
        for r in table
        if r["arm"] == "ai"
    ]
    # 2 percent + 3 weights x (6 pairs + Light) + Fleiss + 4 alpha + AC1 + 2 AC2 + 6 ICC
    assert len(ai) == 2 + 3 * 7 + 1 + 4 + 1 + 2 + 6
    assert ai == [
        (r["coefficient"], r["weights"], r["level"], r["form"], r["raters"], r["tolerance"])
        for r in table
        if r["arm"] == "reference"
    ]
    assert ("cohen_kappa", "linear", None, None, "alice|charlie", None) in ai
    assert ("icc", None, None, "ICC2k", None, None) in ai
    assert "bootstrap_b" not in table[0]


def test_undefined_coefficients_are_none_and_impossible_ones_say_why():
    same = np.array([[3.0, 3.0], [3.0, 3.0], [3.0, 3.0]])
    rows = _long_rows(same)
    one_case = _long_rows(np.array([[2.0, 4.0]]), criterion="clarity")

    table = agreement_table(rows + one_case, scale_min=1, scale_max=5)

    alpha = _row(table, criterion="diagnosis", coefficient="krippendorff_alpha", level="nominal")
    assert alpha["estimate"] is None and alpha["landis_koch"] is None
    icc = _row(table, criterion="clarity", coefficient="icc", form="ICC1")
    assert icc["estimate"] is None
    assert icc["ci_method"].startswith("none: the ICC needs at least 2 subjects")


def test_bootstrap_adds_a_percentile_interval_around_each_estimate():
    table = agreement_table(
        _long_rows(FLEISS_1971_DIAGNOSES), scale_min=1, scale_max=5, bootstrap=300, seed=11
    )

    for row in table:
        assert (row["bootstrap_b"], row["bootstrap_seed"]) == (300, 11)
        if row["estimate"] is not None:
            assert row["bootstrap_ci_low"] <= row["estimate"] <= row["bootstrap_ci_high"], row
    fleiss = _row(table, coefficient="fleiss_kappa")
    assert 0.3 < fleiss["bootstrap_ci_low"] < 0.43 < fleiss["bootstrap_ci_high"] < 0.56


def test_the_same_seed_gives_the_same_intervals_and_another_seed_does_not():
    rows = _long_rows(GWET_RAW_4_RATERS)

    first = agreement_table(rows, bootstrap=200, seed=5)
    again = agreement_table(rows, bootstrap=200, seed=5)
    other = agreement_table(rows, bootstrap=200, seed=6)

    assert first == again
    assert [r["bootstrap_ci_low"] for r in first] != [r["bootstrap_ci_low"] for r in other]


def test_a_bootstrap_without_seed_records_the_seed_it_drew():
    rows = _long_rows(GWET_RAW_4_RATERS)

    table = agreement_table(rows, bootstrap=50)
    replay = agreement_table(rows, bootstrap=50, seed=table[0]["bootstrap_seed"])

    assert isinstance(table[0]["bootstrap_seed"], int)
    assert table == replay
