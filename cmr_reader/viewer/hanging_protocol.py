"""The default CMR hanging protocol: which series go where when a case opens.

Pure. Readers of HCM studies look first at the short-axis cine stack (wall thickness, function),
a long-axis cine (4-chamber first: septum, mitral valve, apex) and the LGE short-axis stack (scar),
side by side. The series browser lists every series in the same clinical order. On the reading
workstation, where the viewer shares the screen with the reports, three equal columns are tall
strips; the "1+2" layout gives the SAX cine most of the space and stacks the other two beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cmr_reader.imaging.series_kind import SeriesKind


@dataclass(frozen=True)
class Layout:
    """A grid of ``rows`` x ``columns`` tracks; each viewport, in order, takes one cell of it.

    A cell is (row, column, rows spanned, columns spanned), counted from 0: the viewer turns it
    into a CSS grid area, so a viewport can span several tracks.
    """

    rows: int
    columns: int
    cells: tuple[tuple[int, int, int, int], ...]

    @property
    def viewport_count(self) -> int:
        return len(self.cells)


def uniform_layout(rows: int, columns: int) -> Layout:
    """Equal viewports filled row by row."""
    return Layout(
        rows=rows,
        columns=columns,
        cells=tuple((row, column, 1, 1) for row in range(rows) for column in range(columns)),
    )


LAYOUTS = {
    "1x1": uniform_layout(1, 1),
    "1x2": uniform_layout(1, 2),
    "1x3": uniform_layout(1, 3),
    # The first viewport two thirds wide and full height; the second and third stacked beside it.
    "1+2": Layout(rows=2, columns=3, cells=((0, 0, 2, 2), (0, 2, 1, 1), (1, 2, 1, 1))),
    "2x2": uniform_layout(2, 2),
}
DEFAULT_LAYOUT = "1+2"

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
