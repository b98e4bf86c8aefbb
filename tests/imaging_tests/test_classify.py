"""Series classification: vendor keywords, data-only decisions, contradictions, the real RVLA cine."""

import math
import time
from collections.abc import Sequence

import pydicom
import pytest
from pydicom.dataset import Dataset

from cmr_reader.domain.series_facts import measure_series
from cmr_reader.domain.series_keywords import SeriesFamily, SeriesView, read_keywords
from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.series_kind import SeriesKind

OBLIQUE = (0.84, -0.54, 0.0, 0.0, 0.0, -1.0)
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
MAGNITUDE = ("ORIGINAL", "PRIMARY", "M", "RETRO", "NORM", "DIS2D")


def make_series(
    *,
    description: str | None = "",
    slices: int = 1,
    phases: int = 1,
    rr_ms: float | None = 1000.0,
    trigger_times: Sequence[float] | None = None,
    inversion_times: Sequence[float] = (),
    image_type: Sequence[str] = MAGNITUDE,
    orientations: Sequence[Sequence[float]] = (OBLIQUE,),
    spacing_mm: float = 8.0,
    with_trigger_time: bool = True,
) -> list[Dataset]:
    """Header-only instances: per orientation, per slice, one image per trigger time.

    Trigger times default to ``phases`` evenly spread over the R-R interval, as a retrospective
    cine writes them; inversion times, when given, cycle over the images of a slice.
    """
    times = (
        list(trigger_times)
        if trigger_times is not None
        else [p * (rr_ms or 1000) / phases for p in range(phases)]
    )
    headers = []
    for orientation in orientations:
        row, column = orientation[:3], orientation[3:]
        normal = (
            row[1] * column[2] - row[2] * column[1],
            row[2] * column[0] - row[0] * column[2],
            row[0] * column[1] - row[1] * column[0],
        )
        for slice_index in range(slices):
            # The in-plane offset changes per slice, as a real stack's corner does.
            position = [
                10.0 * row[i] + slice_index * (spacing_mm * normal[i] + 3.0 * column[i]) for i in range(3)
            ]
            for frame, trigger in enumerate(times):
                header = Dataset()
                if description is not None:
                    header.SeriesDescription = description
                header.ImageType = list(image_type)
                header.ImageOrientationPatient = list(orientation)
                header.ImagePositionPatient = position
                if with_trigger_time:
                    header.TriggerTime = trigger
                if rr_ms is not None:
                    header.NominalInterval = rr_ms
                header.CardiacNumberOfImages = len(times)
                if inversion_times:
                    header.InversionTime = inversion_times[frame % len(inversion_times)]
                headers.append(header)
    return headers


def cine_stack(description: str) -> list[Dataset]:
    return make_series(description=description, slices=10, phases=25)


def cine_slice(description: str) -> list[Dataset]:
    return make_series(description=description, phases=25)


def lge_stack(description: str) -> list[Dataset]:
    return make_series(description=description, slices=12, inversion_times=(300.0,))


def lge_slice(description: str) -> list[Dataset]:
    return make_series(description=description, inversion_times=(300.0,))


def plain_slice(description: str) -> list[Dataset]:
    return make_series(description=description)


def perfusion_slices(description: str) -> list[Dataset]:
    # 40 heartbeats, each slice read at nearly the same delay after the R wave.
    jitter = [120.0 + (frame % 5) * 4 for frame in range(40)]
    return make_series(description=description, slices=3, trigger_times=jitter, inversion_times=(100.0,))


def molli_slice(description: str) -> list[Dataset]:
    return make_series(
        description=description,
        trigger_times=[400.0] * 8,
        inversion_times=(120, 200, 1120, 1200, 2120, 2200, 3120, 4120),
    )


# Each row puts the keywords on data whose shape allows the expected kind but would, without the
# keywords, give another answer (a single cine slice is "other long axis", an LGE stack "lge_sax").
VENDOR_DESCRIPTIONS = [
    # Siemens
    ("cine_tf2d_4CH", cine_slice, SeriesKind.CINE_4CH),
    ("trufi_SAX", cine_slice, SeriesKind.CINE_SAX),
    ("Cine_TruFisp_2CH", cine_slice, SeriesKind.CINE_2CH),
    ("Cine_TruFisp_3CH", cine_slice, SeriesKind.CINE_3CH),
    ("tfl_psir_SAX", lge_slice, SeriesKind.LGE_SAX),
    ("tfl_LGE_4CH", lge_stack, SeriesKind.LGE_LAX),
    ("fl2d_venc150_Ao", cine_slice, SeriesKind.FLOW),
    ("MOLLI_T1", plain_slice, SeriesKind.MAPPING),
    ("T1map_MOLLI_post", plain_slice, SeriesKind.MAPPING),
    ("T2map_trufi", plain_slice, SeriesKind.MAPPING),
    ("localizer_trufi", plain_slice, SeriesKind.LOCALIZER),
    # GE
    ("FIESTA CINE SAX", cine_slice, SeriesKind.CINE_SAX),
    ("FIESTA 3CH", cine_slice, SeriesKind.CINE_3CH),
    ("MDE SAX", lge_slice, SeriesKind.LGE_SAX),
    ("IR-FGRE 2CV", lge_stack, SeriesKind.LGE_LAX),
    ("Mde LVOT", lge_stack, SeriesKind.LGE_LAX),
    ("3-Plane Loc", plain_slice, SeriesKind.LOCALIZER),
    ("SCOUT", plain_slice, SeriesKind.LOCALIZER),
    # Philips
    ("sBTFE_4CH", cine_slice, SeriesKind.CINE_4CH),
    ("BTFE_SA", cine_slice, SeriesKind.CINE_SAX),
    ("PSIR_SA", lge_slice, SeriesKind.LGE_SAX),
    ("LGE_3CH", lge_stack, SeriesKind.LGE_LAX),
    ("T1_MOLLI", plain_slice, SeriesKind.MAPPING),
    ("Qflow_AO", cine_slice, SeriesKind.FLOW),
    ("Survey", plain_slice, SeriesKind.LOCALIZER),
    ("Perfusion_SA", perfusion_slices, SeriesKind.PERFUSION),
    # generic spellings
    ("short axis cine", cine_slice, SeriesKind.CINE_SAX),
    ("CineShortAxis", cine_slice, SeriesKind.CINE_SAX),
    ("CineSA", cine_slice, SeriesKind.CINE_SAX),
    ("HLA cine", cine_slice, SeriesKind.CINE_4CH),
    ("VLA cine", cine_slice, SeriesKind.CINE_2CH),
    ("cine 4CV", cine_slice, SeriesKind.CINE_4CH),
    ("cine4ch", cine_slice, SeriesKind.CINE_4CH),
    ("cine_2cv", cine_slice, SeriesKind.CINE_2CH),
    ("cine3CV", cine_slice, SeriesKind.CINE_3CH),
    ("cine_LVOT", cine_slice, SeriesKind.CINE_3CH),
    ("cine four chamber", cine_slice, SeriesKind.CINE_4CH),
    ("cine SAX", cine_slice, SeriesKind.CINE_SAX),
    ("cine 4CH", cine_stack, SeriesKind.CINE_4CH),
    ("cine_RVOT", cine_stack, SeriesKind.CINE_LAX_OTHER),
    ("cine_RV_LA", cine_stack, SeriesKind.CINE_LAX_OTHER),
    ("cine RV 2CH", cine_slice, SeriesKind.CINE_LAX_OTHER),
    ("cine LAX", cine_stack, SeriesKind.CINE_LAX_OTHER),
    ("tri-pilot", plain_slice, SeriesKind.LOCALIZER),
    ("HASTE", plain_slice, SeriesKind.LOCALIZER),
    ("perf_stress", perfusion_slices, SeriesKind.PERFUSION),
    ("first pass rest", perfusion_slices, SeriesKind.PERFUSION),
    ("phase contrast aorta", cine_slice, SeriesKind.FLOW),
    ("PC_MPA", cine_slice, SeriesKind.FLOW),
    ("VENC 150", cine_slice, SeriesKind.FLOW),
    ("T2* map", plain_slice, SeriesKind.MAPPING),
    ("T2star", plain_slice, SeriesKind.MAPPING),
    ("ECV", plain_slice, SeriesKind.MAPPING),
    ("delayed enhancement 4ch", lge_slice, SeriesKind.LGE_LAX),
    ("DE_SAX", lge_slice, SeriesKind.LGE_SAX),
    ("late gad 2ch", lge_stack, SeriesKind.LGE_LAX),
    ("TI scout", cine_slice, SeriesKind.UNKNOWN),
]


@pytest.mark.parametrize(("description", "build", "expected"), VENDOR_DESCRIPTIONS)
def test_it_reads_vendor_descriptions(description, build, expected):
    assert classify_series(build(description)).kind == expected


@pytest.mark.parametrize(
    ("description", "absent"),
    [
        ("basal slices", SeriesView.SAX),
        ("Sagittal", SeriesView.SAX),
        ("Dense", SeriesFamily.LGE),
        ("made", SeriesFamily.LGE),
        ("epc", SeriesFamily.FLOW),
        ("pcr", SeriesFamily.FLOW),
        ("rvla", SeriesView.TWO_CH),
        ("qflow", SeriesView.SAX),
        ("templates", SeriesFamily.LGE),
    ],
)
def test_keywords_do_not_match_inside_words(description, absent):
    hints = read_keywords(descriptions=[description])
    assert absent not in hints.families and absent not in hints.views


@pytest.mark.parametrize("description", ["4CH", "4_ch", "cine4ch", "4 Ch", "CINE-4CH", "Cine4Ch"])
def test_keywords_survive_separators_and_case(description):
    assert SeriesView.FOUR_CH in read_keywords(descriptions=[description]).views


@pytest.mark.parametrize("description", ["", "Series 7", None])
@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (cine_stack, SeriesKind.CINE_SAX),
        (cine_slice, SeriesKind.CINE_LAX_OTHER),
        (lge_stack, SeriesKind.LGE_SAX),
        (lge_slice, SeriesKind.LGE_LAX),
        (perfusion_slices, SeriesKind.PERFUSION),
        (molli_slice, SeriesKind.MAPPING),
        (plain_slice, SeriesKind.UNKNOWN),
    ],
)
def test_uninformative_descriptions_are_decided_by_the_data(description, build, expected):
    classification = classify_series(build(description))
    assert classification.kind == expected
    assert "description names no series type" in classification.reason or expected == SeriesKind.UNKNOWN


def test_three_orthogonal_single_phase_planes_are_a_localizer():
    headers = make_series(description="Series 1", slices=3, orientations=(AXIAL, SAGITTAL, CORONAL))
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.LOCALIZER
    assert "3 non-parallel planes" in classification.reason


def test_localizer_image_type_decides_even_against_a_cine_description():
    headers = make_series(description="cine", phases=25, image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"))
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.LOCALIZER
    assert "overruling" in classification.reason


def test_map_image_type_makes_mapping_without_keywords():
    headers = make_series(description="Series 12", image_type=("DERIVED", "PRIMARY", "T1 MAP", "MOCO"))
    assert classify_series(headers).kind == SeriesKind.MAPPING


def test_phase_images_over_the_cardiac_cycle_are_flow_even_when_called_cine():
    headers = make_series(description="cine", phases=30, image_type=("ORIGINAL", "PRIMARY", "P", "RETRO"))
    assert classify_series(headers).kind == SeriesKind.FLOW


def test_a_single_phase_phase_image_with_inversion_is_lge_not_flow():
    headers = make_series(description="", inversion_times=(320.0,), image_type=("ORIGINAL", "PRIMARY", "P"))
    assert classify_series(headers).kind == SeriesKind.LGE_LAX


def test_a_cine_description_over_a_single_phase_inversion_stack_is_lge():
    classification = classify_series(lge_stack("cine_SAX"))
    assert classification.kind == SeriesKind.LGE_SAX
    assert '"cine"' in classification.reason and "overruling" in classification.reason


def test_a_cine_description_over_a_single_phase_without_inversion_is_unknown():
    classification = classify_series(plain_slice("cine 4ch"))
    assert classification.kind == SeriesKind.UNKNOWN
    assert "contradict" in classification.reason


def test_an_lge_description_over_a_cine_stack_is_a_cine():
    assert classify_series(cine_stack("LGE_SAX")).kind == SeriesKind.CINE_SAX


def test_a_perfusion_description_over_a_single_phase_inversion_slice_is_lge():
    assert classify_series(lge_slice("Perfusion")).kind == SeriesKind.LGE_LAX


def test_a_compatible_lower_priority_keyword_wins_over_a_contradicted_one():
    # "localizer" would outrank "trufi", but a localizer cannot have 25 phases.
    assert classify_series(cine_slice("localizer_trufi")).kind == SeriesKind.CINE_LAX_OTHER


def test_a_cine_without_nominal_interval_is_judged_by_its_trigger_spread():
    headers = make_series(
        description="", slices=8, phases=20, rr_ms=None, trigger_times=[p * 45.0 for p in range(20)]
    )
    assert classify_series(headers).kind == SeriesKind.CINE_SAX


def test_systolic_only_trigger_times_are_not_a_cine():
    headers = make_series(description="", phases=8, trigger_times=[p * 20.0 for p in range(8)])
    assert classify_series(headers).kind == SeriesKind.UNKNOWN


def test_a_cine_without_trigger_times_is_judged_by_its_declared_phase_count():
    headers = make_series(description="", slices=6, phases=25, with_trigger_time=False)
    assert classify_series(headers).kind == SeriesKind.CINE_SAX


def test_two_parallel_cine_slices_are_not_a_short_axis_stack():
    assert classify_series(make_series(description="", slices=2, phases=25)).kind == SeriesKind.CINE_LAX_OTHER


def test_positions_within_a_millimetre_are_one_slice():
    headers = make_series(description="", slices=1, phases=25)
    for index, header in enumerate(headers):
        x, y, z = header.ImagePositionPatient
        header.ImagePositionPatient = [x + 0.3 * (index % 2), y, z]
    assert measure_series(headers=headers).position_count == 1


def test_a_flipped_normal_is_the_same_plane():
    headers = make_series(description="", slices=4, phases=1)
    flipped = [-c for c in OBLIQUE[:3]] + list(OBLIQUE[3:])
    headers[0].ImageOrientationPatient = flipped
    facts = measure_series(headers=headers)
    assert facts.plane_count == 1


def test_slices_1_5_mm_apart_are_separate_positions():
    assert measure_series(headers=make_series(description="", slices=5, spacing_mm=1.5)).position_count == 5


def test_rr_coverage_follows_nominal_interval():
    facts = measure_series(headers=make_series(description="", phases=25, rr_ms=800.0))
    assert facts.phases_per_position == 25
    assert math.isclose(facts.rr_coverage, 24 / 25)


def test_an_empty_series_is_unknown():
    assert classify_series([]).kind == SeriesKind.UNKNOWN


def test_three_hundred_headers_classify_quickly():
    headers = make_series(description="cine_sax", slices=12, phases=25)
    started = time.perf_counter()
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.CINE_SAX
    # Generous: it takes milliseconds, but the test machine is shared.
    assert time.perf_counter() - started < 1.0


def read_real_headers(directory) -> list[Dataset]:
    return [pydicom.dcmread(path, stop_before_pixels=True) for path in sorted(directory.glob("*.dcm"))]


def test_the_real_rvla_cine_is_other_long_axis(real_cine_dir):
    headers = read_real_headers(real_cine_dir)
    assert len(headers) == 25
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert '"rvla"' in classification.reason
    assert "25 phases" in classification.reason


def test_the_real_rvla_cine_without_its_description_is_still_a_long_axis_cine(real_cine_dir):
    headers = read_real_headers(real_cine_dir)
    for header in headers:
        header.SeriesDescription = "Series 41"
        del header.ProtocolName
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert "25 phases" in classification.reason
