"""The vendor vocabulary list: labelled series descriptions through the real classify path.

``data/series_vocabulary.csv`` holds real series descriptions (a public multi-site list of
descriptions with their counts, UK Biobank series names, public code and test data, the SCMR
protocols' terms), each with its expected kind, the shape of data that agrees with it, and its
source; a few rows for vendors no public list covers (United Imaging, Canon) are written in the
vendor's naming convention and say so in their source. Each description is cleaned as ingest cleans it
(``descriptors.clean_descriptor``), put on synthetic headers of the agreeing shape, and
classified by ``classify_series``. Data that agrees with a description is the case the
vocabulary must get right; contradictions are tested in ``test_classify``.
"""

import csv
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.descriptors import clean_descriptor
from cmr_reader.imaging.series_kind import SeriesKind

VOCABULARY_CSV = Path(__file__).parent / "data" / "series_vocabulary.csv"
MIN_ROWS = 250
MIN_REAL_ROWS = 250
# The source of a row written in a vendor's style rather than taken from a document or a file.
INVENTED_SOURCE = "vendor naming convention"
MIN_SHARE_RIGHT = 0.97

OBLIQUE = (0.84, -0.54, 0.0, 0.0, 0.0, -1.0)
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
MAGNITUDE = ("ORIGINAL", "PRIMARY", "M", "NORM", "DIS2D")
PHASE = ("ORIGINAL", "PRIMARY", "P", "RETRO")
DERIVED = ("DERIVED", "PRIMARY", "M")
RR_MS = 1000.0


def headers_of(
    *,
    description: str,
    slices: int = 1,
    frames: int = 1,
    trigger_times: Sequence[float] | None = None,
    inversion_times: Sequence[float] = (),
    image_type: Sequence[str] = MAGNITUDE,
    orientations: Sequence[Sequence[float]] = (OBLIQUE,),
    gated: bool = True,
) -> list[Dataset]:
    """Header-only images: per orientation and slice, ``frames`` images.

    Trigger times default to frames spread evenly over the R-R interval (a retrospective cine);
    inversion times, when given, cycle over a slice's images. ``gated=False`` writes no trigger
    time, R-R interval or phase count, as an untriggered acquisition does.
    """
    times = list(trigger_times) if trigger_times is not None else [k * RR_MS / frames for k in range(frames)]
    headers = []
    for orientation in orientations:
        row, column = orientation[:3], orientation[3:]
        normal = (
            row[1] * column[2] - row[2] * column[1],
            row[2] * column[0] - row[0] * column[2],
            row[0] * column[1] - row[1] * column[0],
        )
        for index in range(slices):
            position = [10.0 * row[i] + index * (8.0 * normal[i] + 3.0 * column[i]) for i in range(3)]
            for frame in range(frames):
                header = Dataset()
                # As ingest stores it: the description after Clean Descriptors (PS3.15 E.3.5).
                header.SeriesDescription = clean_descriptor(description)
                header.ImageType = list(image_type)
                header.ImageOrientationPatient = list(orientation)
                header.ImagePositionPatient = position
                if gated:
                    header.TriggerTime = times[frame]
                    header.NominalInterval = RR_MS
                    header.CardiacNumberOfImages = frames
                if inversion_times:
                    header.InversionTime = inversion_times[frame % len(inversion_times)]
                headers.append(header)
    return headers


def _perfusion(description: str) -> list[Dataset]:
    # 40 heartbeats, each slice read at nearly the same delay after the R wave.
    jitter = [120.0 + (frame % 5) * 4 for frame in range(40)]
    return headers_of(
        description=description, slices=3, frames=40, trigger_times=jitter, inversion_times=(100.0,)
    )


# Each shape is data that agrees with what a description of that kind says.
SHAPES = {
    "cine_stack": lambda d: headers_of(description=d, slices=10, frames=25),
    "cine_slice": lambda d: headers_of(description=d, frames=25),
    # A Look-Locker inversion-time scout: a cine-like run whose every frame has its own TI.
    "look_locker": lambda d: headers_of(
        description=d, frames=25, inversion_times=[100.0 + 40.0 * k for k in range(25)]
    ),
    # The same, written with the one inversion pulse's time only: the data alone says "cine".
    "cine_ir": lambda d: headers_of(description=d, frames=25, inversion_times=(150.0,)),
    "lge_stack": lambda d: headers_of(description=d, slices=12, inversion_times=(300.0,)),
    "lge_slice": lambda d: headers_of(description=d, inversion_times=(300.0,)),
    "molli": lambda d: headers_of(
        description=d,
        frames=8,
        trigger_times=[400.0] * 8,
        inversion_times=(120, 200, 1120, 1200, 2120, 2200, 3120, 4120),
    ),
    # A map (or a multi-echo T2* source) without an ImageType that says so: keywords must carry it.
    "map": lambda d: headers_of(description=d, slices=3, image_type=DERIVED),
    "flow_magnitude": lambda d: headers_of(description=d, frames=30),
    "flow_phase": lambda d: headers_of(description=d, frames=30, image_type=PHASE),
    "perfusion": _perfusion,
    "localizer": lambda d: headers_of(description=d, slices=3, orientations=(AXIAL, SAGITTAL, CORONAL)),
    "single_stack": lambda d: headers_of(description=d, slices=40, orientations=(AXIAL,)),
    # Black-blood and STIR images carry the inversion time of their preparation, as LGE does.
    "single_stack_ti": lambda d: headers_of(description=d, slices=10, inversion_times=(170.0,)),
    "untriggered_dynamic": lambda d: headers_of(
        description=d, frames=20, orientations=(CORONAL,), gated=False
    ),
}
NEVER_CINE_GROUPS = {"ti_scout", "tagging"}


def read_vocabulary() -> list[dict[str, str]]:
    with VOCABULARY_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def classify_row(row: dict[str, str]) -> SeriesKind:
    return classify_series(SHAPES[row["expected_shape"]](row["description"])).kind


def confusion_summary(results: list[tuple[dict[str, str], SeriesKind]]) -> str:
    """Per expected kind: how many were right, and each wrong answer with its description."""
    lines = []
    by_kind: dict[str, list[tuple[dict[str, str], SeriesKind]]] = {}
    for row, got in results:
        by_kind.setdefault(row["expected_kind"], []).append((row, got))
    for kind, rows in sorted(by_kind.items()):
        right = sum(got == kind for _, got in rows)
        wrong = Counter(got.value for _, got in rows if got != kind)
        lines.append(f"{kind}: {right}/{len(rows)} right" + (f", wrong: {dict(wrong)}" if wrong else ""))
        lines += [
            f"    {row['description']!r} ({row['expected_shape']}) -> {got.value}"
            for row, got in rows
            if got != kind
        ]
    return "\n".join(lines)


def test_the_vocabulary_list_is_large_labelled_and_sourced():
    rows = read_vocabulary()
    assert len(rows) >= MIN_ROWS
    kinds = {kind.value for kind in SeriesKind}
    for row in rows:
        assert row["expected_kind"] in kinds, row
        assert row["expected_shape"] in SHAPES, row
        assert row["source"].strip() and row["vendor"].strip() and row["group"].strip(), row
    descriptions = [row["description"] for row in rows]
    assert len(descriptions) == len(set(descriptions)), "a description is listed twice"
    assert all(row["expected_kind"] == "unknown" for row in rows if row["group"] in NEVER_CINE_GROUPS)


def test_at_least_250_descriptions_are_real_not_written_in_a_vendors_style():
    rows = read_vocabulary()
    real = [row for row in rows if not row["source"].startswith(INVENTED_SOURCE)]
    assert len(real) >= MIN_REAL_ROWS, f"only {len(real)} rows come from a document or a file"
    # Case-folded, so "CINE_IR" and "Cine_IR" count once.
    assert len({row["description"].casefold() for row in real}) >= MIN_REAL_ROWS


def test_vendor_descriptions_on_agreeing_data_are_classified_right():
    rows = read_vocabulary()
    results = [(row, classify_row(row)) for row in rows]
    right = sum(got == row["expected_kind"] for row, got in results)
    share = right / len(results)
    summary = confusion_summary(results)
    assert share >= MIN_SHARE_RIGHT, f"{right}/{len(results)} right ({share:.1%})\n{summary}"


def test_tagging_and_inversion_time_scouts_are_never_cines():
    rows = [row for row in read_vocabulary() if row["group"] in NEVER_CINE_GROUPS]
    assert len(rows) >= 30
    results = [(row, classify_row(row)) for row in rows]
    cines = [(row, got) for row, got in results if got.is_cine]
    assert not cines, confusion_summary(results)


def test_the_words_classification_needs_survive_descriptor_cleaning():
    # Clean Descriptors keeps technical vocabulary only; a kind's keyword it drops is never seen.
    for description, survivor in [
        ("SAX_Tags_Grid_T2_FGRE_BH", "Tags"),
        ("cine_tagging_3sl_SAX_b4", "tagging"),
        ("CSPAMM_sax", "CSPAMM"),
        ("Avg:_AX_4D_FLOWq", "FLOWq"),
        ("RV3CH", "RV3CH"),
        ("CINE_IR_1RR", "IR"),
        ("T2_STIR_SAX", "STIR"),
        ("Locator", "Locator"),
        # GE and Philips words from the real multi-site list (cmr_toolkit).
        ("4CH_CineIR_BH", "CineIR"),
        ("SAX_MTAG_grid-tag_BH", "MTAG"),
        ("SAX_T2_DIRFSE_BH", "DIRFSE"),
        ("PA_FastPC_V=250_BH", "FastPC"),
        ("ao_sQFLOW_BH", "sQFLOW"),
        ("HLAX_FIESTA_BH", "HLAX"),
        ("four_chamber_cine", "four"),
        ("SAX_ME_T2*_TE_8", "T2*"),
    ]:
        assert survivor in clean_descriptor(description), description


@pytest.mark.parametrize(
    ("description", "shape", "expected"),
    [
        ("CINE_IR", "cine_ir", SeriesKind.UNKNOWN),
        ("4CH_CINE_IR", "cine_ir", SeriesKind.UNKNOWN),
        ("CINE_IR_1RR", "look_locker", SeriesKind.UNKNOWN),
        ("SAX_Tags_Grid_T2_FGRE_BH", "cine_stack", SeriesKind.UNKNOWN),
        ("cine_tagging_3sl_SAX_b4", "cine_slice", SeriesKind.UNKNOWN),
        ("RV3CH", "cine_slice", SeriesKind.CINE_LAX_OTHER),
        ("Avg:_AX_4D_FLOWq", "cine_stack", SeriesKind.FLOW),
    ],
)
def test_the_cases_named_in_the_issue(description, shape, expected):
    assert classify_series(SHAPES[shape](description)).kind == expected


def test_a_cine_run_with_an_inversion_time_per_frame_is_a_ti_scout_even_when_called_cine():
    classification = classify_series(SHAPES["look_locker"]("cine_SAX"))
    assert classification.kind == SeriesKind.UNKNOWN
    assert "inversion-time scout" in classification.reason


def test_tagging_says_why_it_is_not_a_cine():
    classification = classify_series(SHAPES["cine_stack"]("SAX_Tags_Grid_T2_FGRE_BH"))
    assert classification.kind == SeriesKind.UNKNOWN
    assert "tagging" in classification.reason.lower()
