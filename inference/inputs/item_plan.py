"""Which frames of which series become which visual item, in reading order.

Series kinds come from the site (``series_kinds``) or from the headers with the site's own rules
(``series_decision``). Then:

- **SAX cine**: every cine_sax series joins one stack (sites store a stack as one series or as
  one series per slice), ordered base to apex (``sax_stack``). ``sax_slices="three"`` keeps the
  slices at 1/6, 1/2 and 5/6 of the stack (index ``floor(f * n)``: the middle slice of each
  third, so basal, mid and apical in the AHA sense); ``"all"`` keeps every slice. Each kept slice
  is one video, its position the third of the stack it lies in.
- **Long-axis cines**: one video per 4-, 2- and 3-chamber view (the last acquired series where a
  view was repeated) and one per other long-axis series; a series with several parallel slices
  gives its middle slice.
- **LGE**: the lge_sax series form one stack, base to apex, given as one image item with one
  frame per kept slice (same slice rule, ``lge_slices``); each lge_lax series is one image item.
- **Phases**: in TriggerTime order; with ``frames_per_cine=N`` below the phase count P, phases
  ``floor(k * P / N)`` for k = 0..N-1: evenly spaced over the cycle, phase 0 first.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cmr_reader.domain.series_decision import decide_series
from cmr_reader.domain.series_grid import ImageRecord, cine_frame_interval
from inference.inputs.items import CINE_KINDS, LGE_KINDS, POSITIONS, InputConfig
from inference.inputs.sax_stack import Stack, StackSlice, build_stack, order_phases
from inference.inputs.study_files import FrameRecord

KIND_LABELS = {
    "localizer": "a localizer",
    "mapping": "a parametric map",
    "perfusion": "perfusion",
    "flow": "phase-contrast flow",
    "unknown": "of unknown kind",
}
VIEW_NAMES = {"cine_4ch": "4-chamber", "cine_2ch": "2-chamber", "cine_3ch": "3-chamber"}
MIN_FPS, MAX_FPS = 1.0, 120.0


@dataclass(frozen=True)
class PlannedItem:
    """A visual item before decoding: the frames to read, in order."""

    kind: str
    position: str | None
    modality: str
    records: tuple[FrameRecord, ...]
    fps: float | None
    series_uid: str
    description: str
    slice_index: int | None = None
    slice_count: int | None = None


def plan_items(
    *, records: Sequence[FrameRecord], config: InputConfig, series_kinds: Mapping[str, str] | None
) -> tuple[list[PlannedItem], list[str]]:
    """The items of a study in reading order, and reasons for the series left out."""
    series: dict[str, list[FrameRecord]] = {}
    for record in records:
        series.setdefault(record.series_uid, []).append(record)
    by_kind: dict[str, list[list[FrameRecord]]] = {}
    skipped = []
    for uid, members in sorted(series.items(), key=lambda item: (item[1][0].series_number, item[0])):
        kind = (series_kinds or {}).get(uid)
        if not kind:
            decision = decide_series([r.header for r in members])
            assert decision is not None  # only an empty series has none; members has a record
            kind = decision.kind
        if kind in CINE_KINDS or kind in LGE_KINDS:
            by_kind.setdefault(kind, []).append(members)
        else:
            what = KIND_LABELS.get(kind, f"of kind {kind!r}")
            skipped.append(f"{_series_name(members)}: {what}, not a cine or LGE series")
    items: list[PlannedItem] = []
    if "cine_sax" in by_kind:
        stack = build_stack([r for members in by_kind["cine_sax"] for r in members])
        skipped += _left_out_reasons(stack)
        items += _sax_cine_items(stack=stack, config=config)
    for kind in ("cine_4ch", "cine_2ch", "cine_3ch"):
        candidates = by_kind.get(kind, [])
        for earlier in candidates[:-1]:
            skipped.append(
                f"{_series_name(earlier)}: {VIEW_NAMES[kind]} cine repeated later, "
                f"{_series_name(candidates[-1])} used"
            )
        if candidates:
            items.append(_lax_cine_item(kind=kind, members=candidates[-1], config=config, skipped=skipped))
    for members in by_kind.get("cine_lax_other", []):
        items.append(_lax_cine_item(kind="cine_lax_other", members=members, config=config, skipped=skipped))
    if "lge_sax" in by_kind:
        stack = build_stack([r for members in by_kind["lge_sax"] for r in members])
        skipped += _left_out_reasons(stack)
        items.append(_lge_stack_item(stack=stack, config=config))
    items += [_lge_lax_item(members=m) for m in by_kind.get("lge_lax", [])]
    return items, skipped


def pick_slices(count: int, mode: str) -> list[int]:
    """Slice indices from the base: all, or the middle slice of each third."""
    if mode == "all" or count <= 3:
        return list(range(count))
    return [count // 6, count // 2, (5 * count) // 6]


def slice_position(index: int, count: int) -> str:
    """ "basal", "mid" or "apical": the third of the stack that slice ``index`` lies in."""
    return POSITIONS[min(2, (6 * index + 3) // (2 * count))]


def pick_phases(count: int, wanted: int | None) -> list[int]:
    """Phase indices evenly spaced over the cycle, phase 0 first; all when fewer than wanted."""
    if wanted is None or wanted >= count:
        return list(range(count))
    return [k * count // wanted for k in range(wanted)]


def _sax_cine_items(*, stack: Stack, config: InputConfig) -> list[PlannedItem]:
    count = len(stack.slices)
    items = []
    for index in pick_slices(count, config.sax_slices):
        piece = stack.slices[index]
        same_series = [s for s in stack.slices if s.series_uid == piece.series_uid]
        frames, fps = _cine_frames(slices=same_series, chosen=piece, config=config)
        items.append(
            PlannedItem(
                kind="cine_sax",
                position=slice_position(index, count),
                modality="video",
                records=frames,
                fps=fps,
                series_uid=piece.series_uid,
                description=_description(piece.records),
                slice_index=index,
                slice_count=count,
            )
        )
    return items


def _lax_cine_item(
    *, kind: str, members: list[FrameRecord], config: InputConfig, skipped: list[str]
) -> PlannedItem:
    stack = build_stack(members)
    skipped += _left_out_reasons(stack)
    middle = stack.slices[len(stack.slices) // 2]
    frames, fps = _cine_frames(slices=stack.slices, chosen=middle, config=config)
    return PlannedItem(
        kind=kind,
        position=None,
        modality="video",
        records=frames,
        fps=fps,
        series_uid=middle.series_uid,
        description=_description(members),
    )


def _lge_stack_item(*, stack: Stack, config: InputConfig) -> PlannedItem:
    kept = [stack.slices[i] for i in pick_slices(len(stack.slices), config.lge_slices)]
    series_uids = [s.series_uid for s in kept]
    main_uid = max(dict.fromkeys(series_uids), key=series_uids.count)
    return PlannedItem(
        kind="lge_sax",
        position=None,
        modality="image",
        records=tuple(s.records[0] for s in kept),
        fps=None,
        series_uid=main_uid,
        description=_description(next(s.records for s in kept if s.series_uid == main_uid)),
    )


def _lge_lax_item(*, members: list[FrameRecord]) -> PlannedItem:
    # Every position of every plane (a series may hold 4-, 2- and 3-chamber LGE together).
    positions: dict[tuple, list[FrameRecord]] = {}
    for record in members:
        where = (
            _rounded(record.get("ImageOrientationPatient")),
            _rounded(record.get("ImagePositionPatient")),
        )
        positions.setdefault(where, []).append(record)
    firsts = sorted((order_phases(group)[0] for group in positions.values()), key=_acquisition_key)
    return PlannedItem(
        kind="lge_lax",
        position=None,
        modality="image",
        records=tuple(firsts),
        fps=None,
        series_uid=members[0].series_uid,
        description=_description(members),
    )


def _cine_frames(
    *, slices: Sequence[StackSlice], chosen: StackSlice, config: InputConfig
) -> tuple[tuple[FrameRecord, ...], float]:
    """The chosen slice's picked phases, and the rate at which they show one cardiac cycle."""
    phases = len(chosen.records)
    picked = pick_phases(phases, config.frames_per_cine)
    records = [r for s in slices for r in s.records]
    image_records = [
        ImageRecord(
            sop_instance_uid=r.sop_instance_uid,
            instance_number=r.instance_number,
            number_of_frames=1,
            header=r.header,
        )
        for r in records
    ]
    groups, start = [], 0
    for piece in slices:
        groups.append(range(start, start + len(piece.records)))
        start += len(piece.records)
    frame_ms, _ = cine_frame_interval(records=image_records, groups=groups)
    fps = 1000.0 / frame_ms * len(picked) / phases
    return tuple(chosen.records[i] for i in picked), min(max(fps, MIN_FPS), MAX_FPS)


def _left_out_reasons(stack: Stack) -> list[str]:
    series: dict[str, list[FrameRecord]] = {}
    for record in stack.left_out:
        series.setdefault(record.series_uid, []).append(record)
    return [
        f"{_series_name(members)}: {len(members)} frame(s) outside the stack's plane or repeated there"
        for members in series.values()
    ]


def _series_name(members: Sequence[FrameRecord]) -> str:
    return f'Series {members[0].series_number} "{_description(members)}"'


def _description(members: Sequence[FrameRecord]) -> str:
    return str(members[0].get("SeriesDescription") or members[0].get("ProtocolName") or "")


def _acquisition_key(record: FrameRecord) -> tuple[int, int, int]:
    return (record.series_number, record.instance_number, record.frame_index)


def _rounded(value) -> tuple[float, ...]:
    try:
        return tuple(round(float(v)) for v in value) if value is not None else ()
    except (TypeError, ValueError):
        return ()
