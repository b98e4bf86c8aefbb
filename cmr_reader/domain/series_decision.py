"""Deciding a series kind from its headers: the rules of ``classify``, free of Django.

``classify`` turns a decision into a ``SeriesKind`` and a translated reason for the site; the
``inference`` package, which never imports Django, uses ``decide_series`` directly. The rules
themselves are documented in ``classify``'s module docstring. Kinds are the plain string values
of ``SeriesKind`` ("cine_sax", "lge_lax", ...).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from cmr_reader.domain.series_facts import Header, SeriesFacts, measure_series
from cmr_reader.domain.series_keywords import SeriesFamily, SeriesView, read_keywords
from cmr_reader.domain.view_geometry import PlanePlacement, Vector, place_long_axis_plane, plane_normal

CINE_MIN_PHASES = 6
CINE_MIN_RR_COVERAGE = 0.5
CINE_MIN_SPREAD_WITHOUT_RR_MS = 250.0
DYNAMIC_MIN_FRAMES = 10
MAPPING_MIN_INVERSION_TIMES = 3
STACK_MIN_POSITIONS = 3

UNKNOWN = "unknown"


class Shape(Enum):
    CINE_LIKE = "cine_like"
    DYNAMIC = "dynamic"
    SINGLE_PHASE = "single_phase"
    UNCLEAR = "unclear"


class ViewBasis(Enum):
    """What decided the view of a cine or LGE series (step 4)."""

    KEYWORD = "keyword"
    STACK = "stack"  # no view keyword; parallel slice positions make a short-axis stack
    GEOMETRY = "geometry"  # no view keyword; a cine placed by its angle to the study's short-axis stack
    LONG_AXIS = "long_axis"  # no view keyword and no stack


@dataclass(frozen=True)
class DataReading:
    shape: Shape
    family: SeriesFamily | None
    is_decisive: bool


@dataclass(frozen=True)
class SeriesDecision:
    """A kind, and everything a reason for it is written from."""

    kind: str
    facts: SeriesFacts
    reading: DataReading
    family: SeriesFamily | None
    keyword_families: dict[SeriesFamily, tuple[str, ...]]
    view_basis: ViewBasis | None  # None unless the family is cine or LGE
    view_words: tuple[str, ...]  # the description words that named the view, if any
    placement: PlanePlacement | None = None  # set when the view basis is GEOMETRY


# Which keyword families each shape leaves possible (step 2 of the rules).
ALLOWED_FAMILIES: dict[Shape, frozenset[SeriesFamily]] = {
    Shape.CINE_LIKE: frozenset(
        {
            SeriesFamily.CINE,
            SeriesFamily.FLOW,
            SeriesFamily.MAPPING,
            SeriesFamily.TI_SCOUT,
            SeriesFamily.TAGGING,
        }
    ),
    Shape.DYNAMIC: frozenset({SeriesFamily.PERFUSION, SeriesFamily.MAPPING, SeriesFamily.TI_SCOUT}),
    Shape.SINGLE_PHASE: frozenset(
        {SeriesFamily.LGE, SeriesFamily.LOCALIZER, SeriesFamily.MAPPING, SeriesFamily.MORPHOLOGY}
    ),
    Shape.UNCLEAR: frozenset(SeriesFamily),
}
# A cine-like run with an inversion time per frame is a Look-Locker scout whatever it is called:
# only keywords for a scout or a map may refine it ("cine_SAX" on such data stays a TI scout).
LOOK_LOCKER_FAMILIES = frozenset({SeriesFamily.TI_SCOUT, SeriesFamily.MAPPING})

FAMILY_KINDS: dict[SeriesFamily, str] = {
    SeriesFamily.TI_SCOUT: UNKNOWN,
    SeriesFamily.TAGGING: UNKNOWN,
    SeriesFamily.MORPHOLOGY: UNKNOWN,
    SeriesFamily.LOCALIZER: "localizer",
    SeriesFamily.MAPPING: "mapping",
    SeriesFamily.FLOW: "flow",
    SeriesFamily.PERFUSION: "perfusion",
}

CINE_VIEW_KINDS: dict[SeriesView, str] = {
    SeriesView.LAX_OTHER_RV: "cine_lax_other",
    SeriesView.FOUR_CH: "cine_4ch",
    SeriesView.THREE_CH: "cine_3ch",
    SeriesView.TWO_CH: "cine_2ch",
    SeriesView.SAX: "cine_sax",
    SeriesView.LAX_OTHER: "cine_lax_other",
}


def decide_series(
    headers: Sequence[Header], *, short_axis_long_axis: Vector | None = None
) -> SeriesDecision | None:
    """Decide the kind of one non-empty series from its headers; None for an empty series.

    A header is anything with ``get(keyword)``: a pydicom Dataset or a dict of plain values.
    ``short_axis_long_axis`` is the long axis of the study's short-axis cine stack
    (``view_geometry.stack_long_axis``), when the caller knows it: a single-plane cine whose
    description names no view is then placed by its angle to that stack (``view_geometry``).
    """
    if not headers:
        return None
    facts = measure_series(headers=headers)
    reading = read_data(facts=facts)
    hints = read_keywords(descriptions=header_descriptions(headers[0]))
    permitted = ALLOWED_FAMILIES[reading.shape]
    if reading.family is SeriesFamily.TI_SCOUT:
        permitted = permitted & LOOK_LOCKER_FAMILIES
    allowed = [f for f in hints.families if f in permitted]
    if reading.is_decisive or not hints.families:
        family = reading.family
    elif allowed:
        family = allowed[0]
    else:
        family = reading.family  # keywords contradict the shape; step 3
    view_basis: ViewBasis | None = None
    view_words: tuple[str, ...] = ()
    placement: PlanePlacement | None = None
    if family is SeriesFamily.CINE or family is SeriesFamily.LGE:
        kind, view_basis, view_words = _view(family=family, facts=facts, views=hints.views)
        if view_basis is ViewBasis.LONG_AXIS and family is SeriesFamily.CINE:
            placement = _placement(headers=headers, facts=facts, long_axis=short_axis_long_axis)
        if placement is not None:
            kind, view_basis = placement.kind, ViewBasis.GEOMETRY
    else:
        kind = FAMILY_KINDS[family] if family is not None else UNKNOWN
    return SeriesDecision(
        kind=kind,
        facts=facts,
        reading=reading,
        family=family,
        keyword_families=hints.families,
        view_basis=view_basis,
        view_words=view_words,
        placement=placement,
    )


def read_data(*, facts: SeriesFacts) -> DataReading:
    """Read a shape and, where the facts allow, a family from the header facts (step 1)."""
    shape = shape_of(facts=facts)
    if facts.has_localizer_image_type:
        return DataReading(shape=shape, family=SeriesFamily.LOCALIZER, is_decisive=True)
    if facts.has_map_image_type:
        return DataReading(shape=shape, family=SeriesFamily.MAPPING, is_decisive=True)
    if facts.has_phase_image_type and shape is Shape.CINE_LIKE:
        return DataReading(shape=shape, family=SeriesFamily.FLOW, is_decisive=True)
    family = None
    if facts.inversion_times_per_position >= MAPPING_MIN_INVERSION_TIMES:
        # Several inversion times at one position: a Look-Locker acquisition. Over the cardiac
        # cycle it is an inversion-time scout; at one trigger time, a MOLLI-style map source.
        family = SeriesFamily.TI_SCOUT if shape is Shape.CINE_LIKE else SeriesFamily.MAPPING
    elif shape is Shape.CINE_LIKE:
        family = SeriesFamily.CINE
    elif shape is Shape.DYNAMIC:
        family = SeriesFamily.PERFUSION
    elif shape is Shape.SINGLE_PHASE and facts.inversion_times_ms:
        family = SeriesFamily.LGE
    elif shape is Shape.SINGLE_PHASE and facts.plane_count > 1:
        family = SeriesFamily.LOCALIZER
    return DataReading(shape=shape, family=family, is_decisive=False)


def shape_of(*, facts: SeriesFacts) -> Shape:
    """The series' shape over the cardiac cycle (step 1)."""
    phases = facts.phases_per_position
    if phases == 1:
        return Shape.SINGLE_PHASE
    if phases is not None and phases >= CINE_MIN_PHASES and _spans_cycle(facts=facts):
        return Shape.CINE_LIKE
    if facts.frames_per_position >= DYNAMIC_MIN_FRAMES and facts.trigger_spread_ms is not None:
        return Shape.DYNAMIC
    if phases is not None and phases >= CINE_MIN_PHASES and facts.trigger_spread_ms is None:
        return Shape.CINE_LIKE  # a declared phase count, no trigger times to check it against
    return Shape.UNCLEAR


def header_descriptions(header: Header) -> list[str]:
    """The description texts classification reads: SeriesDescription and ProtocolName."""
    texts = (header.get("SeriesDescription"), header.get("ProtocolName"))
    return [str(text) for text in texts if text]


def _placement(
    *, headers: Sequence[Header], facts: SeriesFacts, long_axis: Vector | None
) -> PlanePlacement | None:
    """Where a long-axis cine lies relative to the study's short-axis stack; None if unknowable."""
    if long_axis is None or facts.plane_count != 1:
        return None
    normal = plane_normal(headers[0])
    return place_long_axis_plane(plane_normal=normal, long_axis=long_axis) if normal is not None else None


def _spans_cycle(*, facts: SeriesFacts) -> bool:
    if facts.trigger_spread_ms is None:
        return False
    if facts.rr_coverage is not None:
        return facts.rr_coverage >= CINE_MIN_RR_COVERAGE
    return facts.trigger_spread_ms >= CINE_MIN_SPREAD_WITHOUT_RR_MS


def _view(
    *,
    family: SeriesFamily,
    facts: SeriesFacts,
    views: dict[SeriesView, tuple[str, ...]],
) -> tuple[str, ViewBasis, tuple[str, ...]]:
    is_lge = family is SeriesFamily.LGE
    if views:
        view, words = next(iter(views.items()))
        if is_lge:
            kind = "lge_sax" if view is SeriesView.SAX else "lge_lax"
        else:
            kind = CINE_VIEW_KINDS[view]
        return kind, ViewBasis.KEYWORD, words
    if facts.plane_count == 1 and facts.position_count >= STACK_MIN_POSITIONS:
        return ("lge_sax" if is_lge else "cine_sax"), ViewBasis.STACK, ()
    return ("lge_lax" if is_lge else "cine_lax_other"), ViewBasis.LONG_AXIS, ()
