"""Classify a CMR series as a cine or LGE view, or another kind, from its headers alone.

Two witnesses are combined: the description (SeriesDescription, and ProtocolName where it
survived de-identification) read against a vendor vocabulary (``series_keywords``), and the facts
that the headers prove (``series_facts``). Descriptions are often missing ("Series 7"), terse, or
wrong after a protocol was copied; the data cannot be wrong about its shape but cannot tell a
four-chamber view from a two-chamber one. So:

1. **The data gives the shape and a family.** Its shape is *cine-like* (at least 6 phases per
   position whose trigger times span at least half the R-R interval, or 250 ms when the interval
   is unrecorded), *dynamic* (10 or more frames per position at a near-constant trigger time),
   *single-phase* (one trigger time per position) or *unclear*. Some facts name a family outright
   and are **decisive**: ImageType LOCALIZER (localizer), an ImageType map such as "T1 MAP"
   (mapping), phase or velocity images with a cine-like shape (flow). Others suggest one: three or
   more inversion times at a position (a MOLLI-style mapping acquisition, or over the cardiac
   cycle a Look-Locker inversion-time scout), cine-like (cine),
   dynamic (perfusion), single-phase with an inversion time (LGE), single-phase in several
   non-parallel planes without one (localizer).
2. **Keywords refine the family within what the shape allows.** The highest-priority keyword
   family that the shape permits wins (cine and flow need a cine-like shape, perfusion a dynamic
   one, LGE and localizer a single phase, mapping any shape; an unclear shape permits all), so
   "flow" turns a cine-like series into flow and "MOLLI" a single-phase one into mapping.
3. **Keywords that contradict the shape do not win.** A "cine" description over a single-phase
   inversion-recovery series is LGE; over a single-phase series without an inversion time it is
   unknown. A decisive data family overrules every keyword.
4. **Keywords decide the view** of a cine or LGE series. Without a view keyword, three or more
   parallel slice positions are a short-axis stack (cine_sax, lge_sax) and anything else is
   "other long axis" (cine_lax_other) or lge_lax.
5. **Geometry places a long-axis cine that names no view**, when the caller gives the long axis
   of the study's short-axis cine stack (ingest does, once a case's series are classified): the
   plane's rotation about that axis from the horizontal long axis makes it 4CH, 2CH or 3CH, or
   leaves it "other long axis" (``domain.view_geometry``; ``decisions/0026``).

An inversion-time scout (Look-Locker, "TI scout", GE "CINE_IR") is cine-like but not a cine, and
so is a tagged cine ("SAX_Tags_Grid", "cine_tagging"): both are unknown, never a functional cine.
A cine-like run with three or more inversion times at one position is a Look-Locker scout from
the data alone, and only scout or mapping keywords may refine it. Black-blood, STIR and other
spin-echo morphology images ("T2_tse_DB", "STIR_SA") carry an inversion time as LGE does; their
keywords make them unknown rather than LGE.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pydicom
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmr_reader.domain.series_decision import (
    DYNAMIC_MIN_FRAMES,
    MAPPING_MIN_INVERSION_TIMES,
    DataReading,
    Shape,
    ViewBasis,
    decide_series,
    shape_of,
)
from cmr_reader.domain.series_facts import SeriesFacts
from cmr_reader.domain.series_keywords import SeriesFamily
from cmr_reader.domain.view_geometry import MAX_TILT_DEG, PlanePlacement, Vector
from cmr_reader.imaging.series_kind import SeriesKind


@dataclass(frozen=True)
class Classification:
    """A series kind and a short, human-readable account of what decided it."""

    kind: SeriesKind
    reason: str


def classify_series(
    headers: Sequence[pydicom.Dataset], *, short_axis_long_axis: Vector | None = None
) -> Classification:
    """Classify one series from the headers of all its instances (pixel data is not needed).

    The rules, and how description keywords and header facts combine, are in the module
    docstring; ``series_decision`` applies them without Django, and this function words the
    reason. An empty series is unknown. A header is anything with ``get(keyword)``: a pydicom
    Dataset, or a dict of plain values keyed by keyword (ingest passes those, built from the
    stored DICOM JSON; see ``series_facts.CLASSIFICATION_KEYWORDS``). ``short_axis_long_axis``,
    the long axis of the study's short-axis cine stack, lets a long-axis cine that names no view
    be placed from its plane's angle to that stack (``domain.view_geometry``).
    """
    decision = decide_series(headers, short_axis_long_axis=short_axis_long_axis)
    if decision is None:
        return Classification(kind=SeriesKind.UNKNOWN, reason=_("The series has no images."))
    family_reason = _family_reason(
        family=decision.family,
        reading=decision.reading,
        keywords=decision.keyword_families,
        facts_text=describe_facts(facts=decision.facts),
    )
    kind = SeriesKind(decision.kind)
    if decision.view_basis is None:
        return Classification(kind=kind, reason=f"{family_reason}.")
    view_reason = _view_reason(
        basis=decision.view_basis,
        words=decision.view_words,
        facts=decision.facts,
        placement=decision.placement,
    )
    return Classification(kind=kind, reason=f"{family_reason}; {view_reason}.")


def describe_facts(*, facts: SeriesFacts) -> str:
    """A short account of the facts that classification used, e.g. "25 phases ... position"."""
    parts = []
    phases = facts.phases_per_position
    if phases is None:
        timing = _("an unknown number of phases")
    else:
        timing = ngettext("%(count)d phase", "%(count)d phases", phases) % {"count": phases}
    if phases and phases > 1 and facts.rr_coverage is not None:
        timing += " " + _("covering %(percent)d%% of the R-R interval") % {
            "percent": round(100 * facts.rr_coverage)
        }
    elif phases and phases > 1 and facts.trigger_spread_ms is not None:
        timing += " " + _("over %(ms)d ms") % {"ms": round(facts.trigger_spread_ms)}
    if facts.frames_per_position >= DYNAMIC_MIN_FRAMES and shape_of(facts=facts) is Shape.DYNAMIC:
        timing = _("%(count)d frames at a near-constant trigger time") % {"count": facts.frames_per_position}
    where = ngettext("at %(count)d slice position", "at %(count)d slice positions", facts.position_count) % {
        "count": facts.position_count
    }
    parts.append(f"{timing} {where}")
    if facts.plane_count > 1:
        parts.append(_("in %(count)d non-parallel planes") % {"count": facts.plane_count})
    if facts.inversion_times_per_position >= MAPPING_MIN_INVERSION_TIMES:
        parts.append(
            _("%(count)d inversion times at one position") % {"count": facts.inversion_times_per_position}
        )
    elif facts.inversion_times_ms:
        parts.append(_("inversion time %(ms)d ms") % {"ms": round(facts.inversion_times_ms[0])})
    if facts.has_localizer_image_type:
        parts.append(_("ImageType LOCALIZER"))
    if facts.has_map_image_type:
        parts.append(_("ImageType marks a parametric map"))
    if facts.has_phase_image_type:
        parts.append(_("ImageType marks phase or velocity images"))
    return ", ".join(parts)


def _view_reason(
    *, basis: ViewBasis, words: tuple[str, ...], facts: SeriesFacts, placement: PlanePlacement | None
) -> str:
    if basis is ViewBasis.GEOMETRY and placement is not None:
        return _geometry_reason(placement)
    if basis is ViewBasis.KEYWORD:
        return _("view from keyword %(keywords)s") % {"keywords": _quoted(words)}
    if basis is ViewBasis.STACK:
        reason = _("no view keyword, so %(count)d parallel slice positions are a short-axis stack")
        return reason % {"count": facts.position_count}
    return _("no view keyword and no short-axis stack, so taken as a long axis")


def _geometry_reason(placement: PlanePlacement) -> str:
    """Why a long-axis cine without a view keyword was placed (or not) by its plane's angle."""
    values = {"tilt": round(placement.tilt_deg)}
    if placement.rotation_deg is None:
        if placement.kind == SeriesKind.CINE_SAX:
            reason = _(
                "no view keyword; view from the plane's angle to the short-axis stack: it is parallel "
                "to the stack's planes (within %(offset)d°), so a short-axis slice"
            )
            return reason % {"offset": round(90 - placement.tilt_deg)}
        if placement.tilt_deg > MAX_TILT_DEG:
            reason = _(
                "no view keyword; view from the plane's angle to the short-axis stack: the plane is "
                "tilted %(tilt)d° from the stack's long axis, so it is not a view through the left "
                "ventricle and is taken as another long axis"
            )
        else:
            reason = _(
                "no view keyword; the short-axis stack's long axis runs head to foot, so the plane's "
                "angle to it names no view and it is taken as another long axis"
            )
        return reason % values
    values["angle"] = round(placement.rotation_deg)
    views = {"cine_4ch": _("4-chamber"), "cine_2ch": _("2-chamber"), "cine_3ch": _("3-chamber")}
    if placement.kind in views:
        values["view"] = views[placement.kind]
        reason = _(
            "no view keyword; view from the plane's angle to the short-axis stack: it contains the "
            "stack's long axis within %(tilt)d° and is turned %(angle)d° about it from the "
            "horizontal long axis, so %(view)s"
        )
    else:
        reason = _(
            "no view keyword; view from the plane's angle to the short-axis stack: it contains the "
            "stack's long axis within %(tilt)d° but is turned %(angle)d° about it from the "
            "horizontal long axis, which is no standard view, so it is taken as another long axis"
        )
    return reason % values


def _family_reason(
    *,
    family: SeriesFamily | None,
    reading: DataReading,
    keywords: dict[SeriesFamily, tuple[str, ...]],
    facts_text: str,
) -> str:
    values = {"facts": facts_text}
    if family is None:
        if keywords:
            values["keywords"] = _quoted(w for words in keywords.values() for w in words)
            return _("Unknown: description keywords %(keywords)s contradict the data (%(facts)s)") % values
        return _("Unknown: neither the description nor the data identify the series (%(facts)s)") % values
    values["family"] = _family_label(family)
    if family in keywords:
        values["keywords"] = _quoted(keywords[family])
        if family is reading.family:
            return _("%(family)s: description keywords %(keywords)s agree with the data (%(facts)s)") % values
        return (
            _("%(family)s from description keywords %(keywords)s, consistent with the data (%(facts)s)")
            % values
        )
    if keywords:
        values["keywords"] = _quoted(w for words in keywords.values() for w in words)
        return (
            _("%(family)s from the data (%(facts)s), overruling description keywords %(keywords)s") % values
        )
    return _("%(family)s from the data (%(facts)s); the description names no series type") % values


def _family_label(family: SeriesFamily) -> str:
    labels = {
        SeriesFamily.TI_SCOUT: _("Unknown (inversion-time scout)"),
        SeriesFamily.TAGGING: _("Unknown (myocardial tagging, not a functional cine)"),
        SeriesFamily.MORPHOLOGY: _("Unknown (black-blood or other morphology images, not LGE)"),
        SeriesFamily.LOCALIZER: _("Localizer"),
        SeriesFamily.MAPPING: _("Parametric mapping"),
        SeriesFamily.FLOW: _("Phase-contrast flow"),
        SeriesFamily.PERFUSION: _("Perfusion"),
        SeriesFamily.LGE: _("LGE"),
        SeriesFamily.CINE: _("Cine"),
    }
    return labels[family]


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(f'"{word}"' for word in dict.fromkeys(words))
