"""A study's case selections in words, for its pages: strata, filters and the history."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmr_reader.imaging.case_search import DIAGNOSES, LANGUAGES, CaseFilterForm
from cmr_reader.studies.case_list import UNKNOWN_SEX
from cmr_reader.studies.forms import StudyCaseSearchForm
from cmr_reader.studies.models import ReaderStudy, StudyCaseSelection

SEXES = {"M": gettext_lazy("male"), "F": gettext_lazy("female"), "O": gettext_lazy("other")}
StratifyBy = StudyCaseSelection.StratifyBy


@dataclass(frozen=True)
class StratumRow:
    label: str
    available: int
    chosen: int


@dataclass(frozen=True)
class HistoryRow:
    number: int  # 1, 2, ... in the order the changes were made
    selection: StudyCaseSelection
    filters: str
    strata: list[StratumRow]


def stratum_label(stratify_by: str, stratum: str) -> str:
    """A stratum in words, in the reader's language; an unknown value as it is."""
    if not stratify_by:
        return _("all eligible matching cases")
    labels = {StratifyBy.DIAGNOSIS: DIAGNOSES, StratifyBy.LANGUAGE: LANGUAGES, StratifyBy.SEX: SEXES}
    return str({**labels[stratify_by], UNKNOWN_SEX: _("unknown")}.get(stratum, stratum))


def stratum_rows(stratify_by: str, strata) -> list[StratumRow]:
    """Strata as ``{stratum, available, chosen}`` dicts or ``StratumDraw``s, in words."""
    rows = [draw if isinstance(draw, dict) else draw.as_json() for draw in strata]
    return [
        StratumRow(
            label=stratum_label(stratify_by, row["stratum"]), available=row["available"], chosen=row["chosen"]
        )
        for row in rows
    ]


def describe_filters(filters: dict, form: forms.Form) -> str:
    """Stored filters as "label: value; ...", choices by their labels."""
    parts = []
    for key, value in filters.items():
        if key == "ticked":
            parts.append(_("ticked: %(cases)s") % {"cases": ", ".join(value)})
            continue
        field = form.fields.get(key)
        if field is None:
            parts.append(f"{key}: {value}")
            continue
        choices = {str(code): str(label) for code, label in getattr(field, "choices", ())}
        values = value if isinstance(value, list) else [value]
        parts.append(f"{field.label}: {', '.join(choices.get(str(v), str(v)) for v in values)}")
    return "; ".join(parts)


def history_rows(study: ReaderStudy) -> list[HistoryRow]:
    """Every change of the study's case list, oldest first, in words."""
    case_filters, study_search = CaseFilterForm(), StudyCaseSearchForm()
    rows = []
    selections = study.case_selections.select_related("created_by").order_by("created_at", "id")
    for number, selection in enumerate(selections, start=1):
        adding = selection.action == StudyCaseSelection.Action.ADD
        described = describe_filters(selection.filters, case_filters if adding else study_search)
        if not described:
            described = _("every eligible case") if adding else _("every case in the study")
        rows.append(
            HistoryRow(
                number=number,
                selection=selection,
                filters=described,
                strata=stratum_rows(selection.stratify_by, selection.strata),
            )
        )
    return rows


def selection_numbers(study: ReaderStudy) -> dict[int, tuple[int, datetime]]:
    """Selection pk -> (its number in the history, when it was made)."""
    selections = study.case_selections.order_by("created_at", "id").values_list("pk", "created_at")
    return {pk: (number, created_at) for number, (pk, created_at) in enumerate(selections, start=1)}
