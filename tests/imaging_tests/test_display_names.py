"""Names of files kept with import jobs identify no one."""

import pytest

from cmr_reader.imaging.display_names import safe_display_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("DOE_JOHN/IM_0001.dcm", "IM_0001.dcm"),
        ("/exports/Zhang Wei 20240315/cine_sax_0001.dcm", "cine_sax_0001.dcm"),
        ("Smith MRI 2024-03-15.zip", "… MRI ….zip"),
        ("Mueller_Anna_15.03.2024.zip:DICOM/IM_7.dcm", "….zip:IM_7.dcm"),
        ("1.2.840.113619.2.55.3.604688119.dcm", "….dcm"),
        ("IM-00041-00001.dcm", "IM-00041-00001.dcm"),
        ("README.md", "README.md"),
        ("ground_truth.json", "….json"),
        ("SE3_IM12", "SE3_IM12"),
    ],
)
def test_a_file_name_keeps_only_what_identifies_no_one(name, shown):
    assert safe_display_name(name) == shown
