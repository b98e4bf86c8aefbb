"""Readers and cases a study needs, as rows for the planning page and the ``plan_study`` command.

The arithmetic is ``mrmc.planning`` (pure); this module picks the hypothesis (non-inferiority when
a margin is given, else a two-sided difference), searches cases per reader count, and writes the
result in the active language. ``pilot_options`` lists the pilots a site has: every criterion of
the latest finished analysis of each study whose MRMC row stored its variance components.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cmr_reader.analysis.display_labels import criterion_labels
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.mrmc.planning import (
    PilotComponents,
    PlanningError,
    cases_needed,
    power_for_difference,
    power_for_non_inferiority,
)

DEFAULT_READER_COUNTS = (3, 4, 5, 6, 8, 10)


def plan_rows(
    pilot: PilotComponents,
    *,
    readers: Iterable[int],
    margin: float | None,
    effect: float | None = None,
    true_difference: float = 0.0,
    target: float = 0.8,
    alpha: float | None = None,
) -> list[dict]:
    """One row per reader count: {"readers", "cases" (None: not reachable), "power", "ddf", "hypothesis"}."""
    if margin is None and effect is None:
        raise PlanningError("give a non-inferiority margin or a difference to detect")
    rows = []
    for count in readers:
        if margin is not None:
            level = 0.025 if alpha is None else alpha

            def power_at(cases, count=count, level=level):
                return power_for_non_inferiority(
                    pilot,
                    readers=count,
                    cases=cases,
                    margin=margin,
                    true_difference=true_difference,
                    alpha=level,
                )
        else:
            level = 0.05 if alpha is None else alpha

            def power_at(cases, count=count, level=level):
                return power_for_difference(pilot, readers=count, cases=cases, effect=effect, alpha=level)

        plan = cases_needed(power_at, target=target)
        rows.append(
            {
                "readers": count,
                "cases": None if plan is None else plan.cases,
                "power": None if plan is None else plan.power,
                "ddf": None if plan is None else plan.ddf,
                "hypothesis": "non-inferiority" if margin is not None else "difference",
                "alpha": level,
            }
        )
    return rows


def crossed_cases(*, readers: int, cases: int, readers_per_case: int, overlap: int) -> int:
    """The cases every reader of a design reads, which the study's MRMC rows will use: all of them
    when each case goes to every reader, otherwise the overlap set."""
    return cases if readers_per_case >= readers else min(overlap, cases)


def design_power(
    pilot: PilotComponents,
    *,
    readers: int,
    crossed: int,
    margin: float,
    true_difference: float,
    alpha: float = 0.025,
) -> float | None:
    """Non-inferiority power of a design's crossed block, or None when it is too small to analyse."""
    if readers < 2 or crossed < 2:
        return None
    return power_for_non_inferiority(
        pilot, readers=readers, cases=crossed, margin=margin, true_difference=true_difference, alpha=alpha
    ).power


def plan_lines(pilot: PilotComponents, rows: list[dict], *, target: float) -> list[str]:
    lines = [
        _(
            "Pilot: %(cases)s cases; Var(T*R) %(var_tr)s, Var(error) %(var)s, Cov1 %(cov1)s, Cov2 %(cov2)s, Cov3 %(cov3)s"
        )
        % {
            "cases": pilot.n_cases,
            "var_tr": f"{pilot.var_tr:.6g}",
            "var": f"{pilot.var_error:.6g}",
            "cov1": f"{pilot.cov1:.6g}",
            "cov2": f"{pilot.cov2:.6g}",
            "cov3": f"{pilot.cov3:.6g}",
        },
        _("Cases needed for %(power)s power:") % {"power": f"{target:.0%}"},
    ]
    for row in rows:
        if row["cases"] is None:
            lines.append(
                _("  %(readers)s readers: not reachable with any number of cases")
                % {"readers": row["readers"]}
            )
        else:
            lines.append(
                _("  %(readers)s readers: %(cases)s cases (power %(power)s, df %(ddf)s)")
                % {
                    "readers": row["readers"],
                    "cases": row["cases"],
                    "power": f"{row['power']:.3f}",
                    "ddf": f"{row['ddf']:.1f}",
                }
            )
    return lines


def pilot_from_components(components: dict) -> PilotComponents:
    """The pilot stored with a study's MRMC row (see study_mrmc.mrmc_rows)."""
    return PilotComponents(
        n_cases=int(components["n_cases"]),
        var_tr=float(components["var_tr"]),
        var_error=float(components["var_error"]),
        cov1=float(components["cov1"]),
        cov2=float(components["cov2"]),
        cov3=float(components["cov3"]),
    )


@dataclass(frozen=True)
class PilotOption:
    key: str  # "<run id>:<criterion>"
    label: str
    components: dict


def pilot_options() -> list[PilotOption]:
    """Every (study, criterion) with MRMC components in its study's latest finished analysis."""
    options, seen = [], set()
    for run in (
        AnalysisRun.objects.filter(state=AnalysisRun.State.DONE)
        .select_related("study")
        .order_by("-finished_at")
    ):
        if run.study_id in seen:
            continue
        seen.add(run.study_id)
        labels = criterion_labels(run.results)
        for row in run.results.get("mrmc", []):
            if row.get("components"):
                options.append(
                    PilotOption(
                        key=f"{run.pk}:{row['criterion']}",
                        label=_("%(study)s: %(criterion)s (%(readers)s readers, %(cases)s cases)")
                        % {
                            "study": run.study.name,
                            "criterion": labels.get(row["criterion"], row["criterion"]),
                            "readers": row["readers"],
                            "cases": row["cases"],
                        },
                        components=row["components"],
                    )
                )
    return options
