from pathlib import Path

import pytest

from cmr_reader.analysis.agreement.ratings_csv import RatingRow, RatingsFileError, read_ratings_csv

HEADER = "case_id,reader_id,criterion,score,arm\n"


def test_it_reads_scores_and_blank_scores_as_missing():
    rows = read_ratings_csv(HEADER + "c1,alice,accuracy,4,ai\nc1,bob,accuracy,,ai\n")

    assert rows == [
        RatingRow(case_id="c1", reader_id="alice", criterion="accuracy", arm="ai", score=4.0, line=2),
        RatingRow(case_id="c1", reader_id="bob", criterion="accuracy", arm="ai", score=None, line=3),
    ]


def test_a_file_without_arm_column_gives_every_row_an_empty_arm(tmp_path: Path):
    path = tmp_path / "ratings.csv"
    path.write_text("\ufeffcase_id,reader_id,criterion,score\nc1,alice,accuracy,3\n", encoding="utf-8")

    (row,) = read_ratings_csv(path)

    assert (row.arm, row.score) == ("", 3.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("case_id,reader_id,score\nc1,alice,3\n", "line 1: missing column(s) criterion"),
        (
            HEADER + "c1,alice,accuracy,4,ai\nc2,alice,accuracy,good,ai\n",
            "line 3: score 'good' is not a number",
        ),
        (
            HEADER + "c1,alice,accuracy,6,ai\n",
            "line 2: score '6' is not an integer on the declared scale 1..5",
        ),
        (HEADER + "c1,alice,accuracy,2.5,ai\n", "line 2: score '2.5' is not an integer"),
        (
            HEADER + "c1,alice,accuracy,4,ai\nc1,alice,accuracy,5,ai\n",
            "line 3: duplicate score for case 'c1'",
        ),
        (HEADER + "c1,,accuracy,4,ai\n", "line 2: empty reader_id"),
        (HEADER + "c1,alice,accuracy\n", "line 2: expected 5 fields"),
    ],
)
def test_a_malformed_file_is_rejected_naming_the_line(text: str, message: str):
    with pytest.raises(RatingsFileError) as error:
        read_ratings_csv(text)

    assert message in str(error.value)


def test_the_same_case_and_reader_may_score_both_arms():
    rows = read_ratings_csv(HEADER + "c1,alice,accuracy,4,ai\nc1,alice,accuracy,5,reference\n")

    assert [row.arm for row in rows] == ["ai", "reference"]


def test_the_declared_scale_decides_what_is_on_it():
    (row,) = read_ratings_csv(HEADER + "c1,alice,accuracy,0,ai\n", scale_min=0, scale_max=10)

    assert row.score == 0.0
