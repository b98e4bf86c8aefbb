"""Hostile file names: other scripts, long numbers, look-alike digits and invisible characters
leave nothing of a patient in a cleaned name or in an error's text (ADR 0005)."""

import re
import zipfile

import pytest

from cmr_reader.imaging.display_names import HIDDEN, error_without_names, safe_display_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张伟_20240315_cine.zip", "…_cine.zip"),
        ("/data/incoming/张伟/IM_0001.dcm", "IM_0001.dcm"),
        ("Zhang张伟_sax.dcm", "…_sax.dcm"),  # a word holding another script is hidden whole
        ("zhangwei110101199003077777.dcm", "….dcm"),
        ("ZHANG_WEI_123456789/IM_0002.dcm", "IM_0002.dcm"),
        ("cine 123456.dcm", "cine ….dcm"),
        ("IM_00041.dcm", "IM_00041.dcm"),  # five digits: an instance counter
        ("LGE 138 1234 5678.dcm", "LGE ….dcm"),  # a phone number in groups
        ("Иванов_Иван_cine_sax.dcm", "…_cine_sax.dcm"),
        ("sсout.dcm", "….dcm"),  # a Cyrillic "с" that looks Latin
        ("IM_０１２３４５６.dcm", "IM_….dcm"),  # full-width digits
        ("IM_٠١٢٣٤٥٦.dcm", "IM_….dcm"),  # Arabic-Indic digits
        ("SE3 ①②③④⑤⑥.dcm", "SE3 ….dcm"),
        ("IM_1234\u200b5678.dcm", "IM_….dcm"),  # a zero-width space inside a number
        ("IM_123\u202e456.dcm", "IM_….dcm"),  # a right-to-left override inside a number
        ("cine\u200f_sax.dcm", "cine_sax.dcm"),  # a right-to-left mark
        ("ＤＯＥ／IM_1.dcm", "IM_1.dcm"),  # a full-width solidus is a folder too
        ("C:\\Users\\张伟\\IM_2.dcm", "…:IM_2.dcm"),
        ("export.zip:王芳 20240315/SE1/IM_3.dcm", "export.zip:IM_3.dcm"),
        ("张伟", HIDDEN),
        ("", HIDDEN),
        ("...", HIDDEN),
    ],
)
def test_a_hostile_name_keeps_nothing_that_could_name_a_patient(name, shown):
    assert safe_display_name(name) == shown


@pytest.mark.parametrize(
    "name",
    [
        "患者王芳_ID110101199003077777_电话13812345678.zip:王芳/IM0001.dcm",
        "/data/incoming/ZHANG_WEI_123456789/2024\u200b0315/ИВАНОВ.dcm",
        "Ｚｈａｎｇ Ｗｅｉ ２０２４０３１５.zip",
        "\u202eMCD.1000MI_987654321",
        "Müller_Jürgen_٢٠٢٤٠٣١٥.dcm",
    ],
)
def test_a_cleaned_name_is_ascii_without_folders_or_long_numbers(name):
    shown = safe_display_name(name)

    assert shown.replace(HIDDEN, "").isascii()
    assert not re.search(r"\d{6}", shown.replace(HIDDEN, " "))
    assert "/" not in shown and "\\" not in shown


def test_cleaning_a_cleaned_name_changes_nothing():
    for name in ("…_cine.zip", "….zip:IM_7.dcm", "… MRI ….zip", "IM-00041-00001.dcm"):
        assert safe_display_name(name) == name


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (zipfile.BadZipFile("Bad CRC-32 for file 'ZHANG_WEI_123456789/IM0001.dcm'"), "Bad CRC-32 for file …"),
        (
            FileNotFoundError(2, "No such file or directory", "/data/incoming/ZHANG_WEI/IM1.dcm"),
            "[Errno 2] No such file or directory",
        ),
        (RuntimeError('File "王芳.dcm" is encrypted'), "File … is encrypted"),
        (ValueError("stopped at /data/incoming/ZHANG_WEI/x"), "stopped at …"),
        (ValueError("patient 110101199003077777 张伟"), "patient … …"),
        (EOFError(), "EOFError"),
    ],
)
def test_an_errors_text_keeps_what_went_wrong_and_not_the_name(error, text):
    assert error_without_names(error) == text
