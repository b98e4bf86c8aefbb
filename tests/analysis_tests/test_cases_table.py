"""cases.csv and the workbook's cases sheet: one row per case, the patient's age as years."""

from cmr_reader.analysis.study_data import StudyCaseInfo, StudyData
from cmr_reader.analysis.study_exports import CASES_COLUMNS, cases_table


def case(case_id: str, age: str) -> StudyCaseInfo:
    return StudyCaseInfo(case_id, 1, 2, "tiny-cmr-model", "zh", "F", age)


def test_the_patient_age_is_exported_as_a_number_of_years():
    data = StudyData(
        study_id=1,
        name="Ages",
        criteria=(),
        design={},
        questionnaire={},
        non_inferiority_margin=None,
        cases=(case("c1", "047Y"), case("c2", "006M"), case("c3", ""), case("c4", "old")),
        readings=(),
    )
    table = cases_table(data)
    assert "patient_age" not in table.columns
    ages = [row[CASES_COLUMNS.index("patient_age_years")] for row in table.rows()]
    assert ages == [47.0, 0.5, None, None]
    assert CASES_COLUMNS.index("patient_age_years") == CASES_COLUMNS.index("patient_sex") + 1
