"""What the viewer needs to open one case, built once on the server and embedded in the page.

The browser still fetches each series' WADO-RS metadata and registers it with Cornerstone before
loading frames (the DICOMweb way); this manifest only saves it from re-deriving, in JavaScript,
what the server already knows: which series exist and how they are classified, how each hangs as
slices x phases, the cine frame interval and cardiac cycle, the layouts and the default hanging.
"""

from cmr_reader.domain.frame_headers import has_functional_groups
from cmr_reader.domain.series_grid import ImageRecord, build_series_grid
from cmr_reader.imaging.ingest import classification_headers
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.viewer.hanging_protocol import (
    LAYOUTS,
    Layout,
    SeriesSummary,
    browser_order,
    default_hanging,
)


def build_viewer_manifest(case: Case, *, dicomweb_root: str) -> dict:
    """The case's series in reading order, each as a slice x phase grid, and where they hang."""
    series_rows = list(Series.objects.filter(case=case))
    summaries = [
        SeriesSummary(uid=s.series_instance_uid, kind=s.kind, series_number=s.series_number)
        for s in series_rows
    ]
    by_uid = {s.series_instance_uid: s for s in series_rows}
    records = _image_records(series_ids=[s.pk for s in series_rows])
    entries = []
    for summary in browser_order(summaries):
        series = by_uid[summary.uid]
        grid = build_series_grid(records.get(series.pk, []))
        entries.append(_series_entry(series, grid=grid))
    hanging = default_hanging(summaries)
    return {
        "case": case.case_id,
        "study": case.study_instance_uid,
        "dicomweb": dicomweb_root.rstrip("/"),
        "layouts": {name: _layout_entry(layout) for name, layout in LAYOUTS.items()},
        "layout": hanging.layout,
        "viewports": list(hanging.viewports),
        "series": entries,
    }


def _layout_entry(layout: Layout) -> dict:
    # cells: [row, column, rows spanned, columns spanned] per viewport, from 0
    return {"rows": layout.rows, "columns": layout.columns, "cells": [list(cell) for cell in layout.cells]}


def _image_records(*, series_ids: list[int]) -> dict[int, list[ImageRecord]]:
    """One record per stored instance; one per frame for an enhanced MR object (decisions/0027),
    each with that frame's own geometry and timing, so it hangs as slices x phases like a
    series of single-frame images."""
    records: dict[int, list[ImageRecord]] = {}
    rows = Instance.objects.filter(series_id__in=series_ids).values_list(
        "series_id", "sop_instance_uid", "instance_number", "number_of_frames", "dicom_json"
    )
    for series_id, sop, number, frames, dicom_json in rows.iterator(chunk_size=500):
        headers = classification_headers(dicom_json)
        per_frame = has_functional_groups(dicom_json)
        records.setdefault(series_id, []).extend(
            ImageRecord(
                sop_instance_uid=sop,
                instance_number=number,
                number_of_frames=frames,
                header=header,
                frame_number=index + 1 if per_frame else None,
            )
            for index, header in enumerate(headers[:frames] if per_frame else headers)
        )
    return records


def _series_entry(series: Series, *, grid) -> dict:
    kind = SeriesKind(series.kind) if series.kind in SeriesKind.values else SeriesKind.UNKNOWN
    slices = [
        {
            "position_mm": None if s.position_mm is None else round(s.position_mm, 2),
            "frames": [list(f) for f in s.frames],
        }
        for s in grid.slices
    ]
    middle = grid.slices[len(grid.slices) // 2] if grid.slices else None
    return {
        "uid": series.series_instance_uid,
        "number": series.series_number,
        "kind": kind.value,
        "kind_label": str(kind.label),
        "description": series.description,
        "is_cine": kind.is_cine or grid.phase_count > 1,
        "is_lge": kind.is_lge,
        "phase_count": grid.phase_count,
        "frame_ms": round(grid.frame_ms, 3),
        "frame_ms_source": grid.frame_ms_source,
        # Where each phase falls in the cardiac cycle, for keeping viewports in step (decision 0023).
        "trigger_ms": None if grid.trigger_ms is None else [round(t, 2) for t in grid.trigger_ms],
        "cycle_ms": None if grid.cycle_ms is None else round(grid.cycle_ms, 2),
        "slices": slices,
        "thumbnail": list(middle.frames[0]) if middle and middle.frames else None,
    }
