"""The default CMR hanging protocol: which series go where when a case opens.

Pure. Readers of HCM studies look first at the short-axis cine stack (wall thickness, function),
a long-axis cine (4-chamber first: septum, mitral valve, apex) and the LGE short-axis stack (scar),
side by side. The series browser lists every series in the same clinical order.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cmr_reader.imaging.series_kind import SeriesKind

LAYOUTS = {"1x1": (1, 1), "1x2": (1, 2), "1x3": (1, 3), "2x2": (2, 2)}
DEFAULT_LAYOUT = "1x3"

# Reading order of kinds; anything unlisted comes after, localizers last.
KIND_ORDER = (
    SeriesKind.CINE_SAX,
    SeriesKind.CINE_4CH,
    SeriesKind.CINE_2CH,
    SeriesKind.CINE_3CH,
    SeriesKind.CINE_LAX_OTHER,
    SeriesKind.LGE_SAX,
    SeriesKind.LGE_LAX,
    SeriesKind.MAPPING,
    SeriesKind.PERFUSION,
    SeriesKind.FLOW,
    SeriesKind.UNKNOWN,
    SeriesKind.LOCALIZER,
)
LONG_AXIS_CINES = (SeriesKind.CINE_4CH, SeriesKind.CINE_2CH, SeriesKind.CINE_3CH, SeriesKind.CINE_LAX_OTHER)


@dataclass(frozen=True)
class SeriesSummary:
    uid: str
    kind: str
    series_number: int | None


@dataclass(frozen=True)
class HangingProtocol:
    layout: str
    viewports: tuple[str, ...]  # series UIDs, one per viewport of the layout, in reading order


def browser_order(series: Sequence[SeriesSummary]) -> list[SeriesSummary]:
    """Series in clinical reading order, then by series number."""
    rank = {kind.value: position for position, kind in enumerate(KIND_ORDER)}
    return sorted(
        series,
        key=lambda s: (
            rank.get(s.kind, len(KIND_ORDER) - 1),
            s.series_number is None,
            s.series_number or 0,
            s.uid,
        ),
    )


def default_hanging(series: Sequence[SeriesSummary]) -> HangingProtocol:
    """SAX cine, a long-axis cine (4CH first) and the LGE SAX stack, filled from the rest if absent."""
    ordered = browser_order(series)
    chosen: list[str] = []
    for wanted in (
        (SeriesKind.CINE_SAX,),
        LONG_AXIS_CINES,
        (SeriesKind.LGE_SAX, SeriesKind.LGE_LAX),
    ):
        pick = _first_of_kinds(ordered, kinds=wanted, taken=chosen)
        if pick is not None:
            chosen.append(pick)
    # A case missing a slot still fills the screen with what it has (never a localizer first).
    for summary in ordered:
        if len(chosen) >= 3:
            break
        if summary.uid not in chosen and summary.kind != SeriesKind.LOCALIZER:
            chosen.append(summary.uid)
    if not chosen and ordered:
        chosen.append(ordered[0].uid)
    layout = {0: "1x1", 1: "1x1", 2: "1x2"}.get(len(chosen), DEFAULT_LAYOUT)
    return HangingProtocol(layout=layout, viewports=tuple(chosen))


def _first_of_kinds(ordered: Sequence[SeriesSummary], *, kinds, taken: Sequence[str]) -> str | None:
    for kind in kinds:
        for summary in ordered:
            if summary.kind == kind and summary.uid not in taken:
                return summary.uid
    return None
