"""Which cases can enter a reader study: those with a reference report and an AI report in the
same language (a Chinese reference beside an English AI report gives the AI away at a glance).

A case with reports in two languages and no same-language pair is listed as a mismatch, with the
languages, for the coordinator to fix (import the missing report or generate one in the other
language). Languages are the reports' stored labels, read in two queries whatever the size.
"""

from collections import defaultdict
from dataclasses import dataclass

from cmr_reader.reports.models import Report


@dataclass(frozen=True)
class LanguageMismatch:
    case_id: int  # Case pk
    case_label: str  # Case.case_id, what the coordinator searches for
    reference_language: str
    ai_languages: tuple[str, ...]  # of every AI report of the case, sorted


def eligible_pairs(case_ids=None) -> dict[int, tuple[int, int]]:
    """case pk -> (reference report pk, AI report pk) for cases with both in one language; the
    newest AI report in the reference's language when several runs wrote one."""
    pairs, _mismatches = _pairs_and_mismatches(case_ids)
    return pairs


def language_mismatches(case_ids=None) -> list[LanguageMismatch]:
    """Cases with a reference and an AI report but none of the AI reports in the reference's language."""
    _pairs, mismatches = _pairs_and_mismatches(case_ids)
    if not mismatches:
        return []
    labels = dict(
        Report.objects.filter(case_id__in=[m.case_id for m in mismatches]).values_list("case_id", "case__case_id")
    )
    return [
        LanguageMismatch(
            case_id=m.case_id,
            case_label=labels.get(m.case_id, ""),
            reference_language=m.reference_language,
            ai_languages=m.ai_languages,
        )
        for m in mismatches
    ]


def _pairs_and_mismatches(case_ids) -> tuple[dict[int, tuple[int, int]], list[LanguageMismatch]]:
    reports = Report.objects.all() if case_ids is None else Report.objects.filter(case_id__in=case_ids)
    reference = {
        case_id: (report_id, language)
        for case_id, report_id, language in reports.filter(source=Report.Source.REFERENCE).values_list(
            "case_id", "id", "language"
        )
    }
    ai_by_language: dict[int, dict[str, int]] = defaultdict(dict)
    for case_id, report_id, language in (
        reports.filter(source=Report.Source.AI).order_by("id").values_list("case_id", "id", "language")
    ):
        ai_by_language[case_id][language] = report_id  # ascending ids: the newest wins
    pairs, mismatches = {}, []
    for case_id in sorted(reference.keys() & ai_by_language.keys()):
        reference_id, language = reference[case_id]
        ai_id = ai_by_language[case_id].get(language)
        if ai_id is not None:
            pairs[case_id] = (reference_id, ai_id)
        else:
            mismatches.append(
                LanguageMismatch(
                    case_id=case_id,
                    case_label="",
                    reference_language=language,
                    ai_languages=tuple(sorted(ai_by_language[case_id])),
                )
            )
    return pairs, mismatches
