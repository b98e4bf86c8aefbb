"""Patient's Age (DICOM Age String, AS) read as years for the exports (cmr_reader.domain.dicom_age)."""

import pytest

from cmr_reader.domain.dicom_age import age_in_years


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("047Y", 47.0),
        ("000Y", 0.0),
        ("120Y", 120.0),
        ("006M", 0.5),
        ("018M", 1.5),
        ("001M", 0.08),
        ("003W", 0.06),  # 21 days
        ("052W", 1.0),
        ("010D", 0.03),
        ("365D", 1.0),
    ],
)
def test_each_unit_becomes_years(value, years):
    assert age_in_years(value) == years


def test_whole_years_stay_whole_and_smaller_units_keep_two_decimals():
    assert age_in_years("047Y") == 47 and isinstance(age_in_years("047Y"), float)
    assert age_in_years("005M") == 0.42  # 0.41666...


@pytest.mark.parametrize(("value", "years"), [("47Y", 47.0), ("047y", 47.0), (" 6M ", 0.5), ("7D", 0.02)])
def test_unambiguous_near_misses_are_read(value, years):
    assert age_in_years(value) == years


@pytest.mark.parametrize(
    "value",
    ["", "   ", "047", "Y", "047X", "47 Y", "0047Y", "-47Y", "4.5Y", "047Y047", "四十七Y", "٤٧Y", None, 47],
)
def test_empty_or_malformed_values_give_none_without_raising(value):
    assert age_in_years(value) is None
