"""Slices along the plane normal, phases in trigger-time order, and the cine frame interval."""

import random

import pytest

from cmr_reader.domain.series_grid import DEFAULT_FRAME_MS, ImageRecord, build_series_grid

# A short-axis plane tilted like a real one: rows and columns cosines, normal = row x column.
SAX_ORIENTATION = [0.6, 0.7, -0.3, -0.5, 0.7, 0.5]


def sax_record(
    *, slice_index: int, phase: int, trigger_step: float = 40.0, number=None, **extra
) -> ImageRecord:
    row, column = SAX_ORIENTATION[:3], SAX_ORIENTATION[3:]
    normal = [
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    ]
    length = sum(c * c for c in normal) ** 0.5
    normal = [c / length for c in normal]
    origin = [-150.0, -130.0, 20.0]
    position = [o + n * 8.0 * slice_index for o, n in zip(origin, normal, strict=True)]
    header = {
        "ImageOrientationPatient": SAX_ORIENTATION,
        "ImagePositionPatient": position,
        "TriggerTime": phase * trigger_step,
        **extra,
    }
    return ImageRecord(
        sop_instance_uid=f"2.25.{slice_index}{phase:03d}",
        instance_number=number if number is not None else slice_index * 100 + phase,
        number_of_frames=1,
        header=header,
    )


def test_slices_follow_the_normal_and_phases_the_trigger_time_whatever_the_input_order():
    records = [sax_record(slice_index=s, phase=p) for s in range(4) for p in range(5)]
    random.Random(3).shuffle(records)

    grid = build_series_grid(records)

    assert len(grid.slices) == 4
    assert grid.phase_count == 5
    assert [s.frames[0][0] for s in grid.slices] == [f"2.25.{s}000" for s in range(4)]
    assert [sop for sop, _ in grid.slices[2].frames] == [f"2.25.2{p:03d}" for p in range(5)]
    positions = [s.position_mm for s in grid.slices]
    assert positions == sorted(positions)
    assert positions[1] - positions[0] == pytest.approx(8.0)


def test_trigger_time_spacing_sets_the_frame_interval():
    grid = build_series_grid([sax_record(slice_index=0, phase=p, trigger_step=33.5) for p in range(25)])
    assert grid.frame_ms == pytest.approx(33.5)
    assert grid.frame_ms_source == "trigger_time"


def test_without_trigger_times_nominal_interval_over_phase_count_sets_it():
    records = [
        ImageRecord(
            f"2.25.{p}", p + 1, 1, {"NominalInterval": 900, "CardiacNumberOfImages": 30, "SliceLocation": 4.0}
        )
        for p in range(30)
    ]
    grid = build_series_grid(records)
    assert grid.frame_ms == pytest.approx(30.0)
    assert grid.frame_ms_source == "nominal_interval"
    # Same slice location, no trigger times: one slice, phases in instance-number order.
    assert len(grid.slices) == 1
    assert [sop for sop, _ in grid.slices[0].frames][:3] == ["2.25.0", "2.25.1", "2.25.2"]


def test_heart_rate_is_the_last_header_to_try_and_the_default_follows():
    with_rate = [ImageRecord(f"2.25.{p}", p, 1, {"HeartRate": 60, "SliceLocation": 0}) for p in range(20)]
    assert build_series_grid(with_rate).frame_ms == pytest.approx(50.0)
    assert build_series_grid(with_rate).frame_ms_source == "heart_rate"
    bare = [ImageRecord(f"2.25.{p}", p, 1, {}) for p in range(3)]
    grid = build_series_grid(bare)
    assert (grid.frame_ms, grid.frame_ms_source) == (DEFAULT_FRAME_MS, "default")
    assert grid.slices[0].position_mm is None


def test_absurd_rates_are_clamped_to_what_a_screen_can_show():
    fast = [sax_record(slice_index=0, phase=p, trigger_step=1.0) for p in range(10)]
    assert build_series_grid(fast).frame_ms == pytest.approx(1000 / 120)


def test_a_multiframe_instance_hangs_as_one_slice_of_its_frames():
    record = ImageRecord("2.25.77", 1, 5, {"SliceLocation": 10.0})
    grid = build_series_grid([record])
    assert grid.slices[0].frames == tuple(("2.25.77", n) for n in range(1, 6))


def test_an_lge_stack_is_slices_of_one_image_each():
    records = [sax_record(slice_index=s, phase=0, InversionTime=300) for s in range(9)]
    grid = build_series_grid(records)
    assert len(grid.slices) == 9
    assert grid.phase_count == 1


def test_an_empty_series_has_no_slices():
    assert build_series_grid([]).slices == ()


def test_each_phase_gets_the_median_trigger_time_of_its_slices_and_the_cycle_its_nominal_interval():
    records = [
        sax_record(slice_index=s, phase=p, trigger_step=40.0 + s, NominalInterval=1000)
        for s in range(3)
        for p in range(25)
    ]

    grid = build_series_grid(records)

    assert grid.trigger_ms == pytest.approx([41.0 * p for p in range(25)])
    assert grid.cycle_ms == 1000


def test_without_a_declared_interval_the_cycle_is_the_heart_rate_or_the_phases_own_span():
    with_rate = [sax_record(slice_index=0, phase=p, trigger_step=30.0, HeartRate=75) for p in range(20)]
    assert build_series_grid(with_rate).cycle_ms == pytest.approx(800.0)

    bare = [sax_record(slice_index=0, phase=p, trigger_step=30.0) for p in range(20)]
    assert build_series_grid(bare).cycle_ms == pytest.approx(600.0)


def test_a_declared_interval_shorter_than_the_last_trigger_time_is_not_believed():
    records = [sax_record(slice_index=0, phase=p, trigger_step=50.0, NominalInterval=700) for p in range(20)]
    assert build_series_grid(records).cycle_ms == pytest.approx(1000.0)


def test_images_without_their_own_trigger_time_give_no_phase_times():
    missing = [sax_record(slice_index=0, phase=p) for p in range(5)]
    missing[3] = ImageRecord(
        "2.25.x", 3, 1, {k: v for k, v in missing[3].header.items() if k != "TriggerTime"}
    )
    assert build_series_grid(missing).trigger_ms is None

    multiframe = ImageRecord("2.25.77", 1, 5, {"SliceLocation": 10.0, "TriggerTime": 0.0})
    grid = build_series_grid([multiframe])
    assert grid.trigger_ms is None and grid.cycle_ms is None
