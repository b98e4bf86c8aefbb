"""Which cases can enter a reader study: those with a reference report and an AI report in the
same language (a Chinese reference beside an English AI report gives the AI away at a glance).

A case with reports in two languages and no same-language pair is listed as a mismatch, with the
languages, for the coordinator to fix (import the missing report or generate one in the other
language). Languages are the reports' stored labels, read in two queries whatever the size.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from cmr_reader.reports.models import Report


@dataclass(frozen=True)
class LanguageMismatch:
    case_id: int  # Case pk
    case_label: str  # Case.case_id, what the coordinator searches for
    reference_language: str
    ai_languages: tuple[str, ...]  # of every AI report of the case, sorted


@dataclass(frozen=True)
class Pairing:
    pairs: dict[int, tuple[int, int]]  # case pk -> (reference report pk, AI report pk)
    mismatches: list[LanguageMismatch]


def eligible_pairs(case_ids=None) -> dict[int, tuple[int, int]]:
    """case pk -> (reference report pk, AI report pk) for cases with both in one language; the
    newest AI report in the reference's language when several runs wrote one."""
    return pairing(case_ids).pairs


def language_mismatches(case_ids=None) -> list[LanguageMismatch]:
    """Cases with a reference and an AI report but none of the AI reports in the reference's language."""
    return pairing(case_ids).mismatches


def pairing(case_ids=None) -> Pairing:
    """The eligible pairs and the language mismatches together, from one pair of queries."""
    reports = Report.objects.all() if case_ids is None else Report.objects.filter(case_id__in=case_ids)
    reference = {
        case_id: (report_id, language, label)
        for case_id, report_id, language, label in reports.filter(source=Report.Source.REFERENCE).values_list(
            "case_id", "id", "language", "case__case_id"
        )
    }
    ai_by_language: dict[int, dict[str, int]] = defaultdict(dict)
    for case_id, report_id, language in (
        reports.filter(source=Report.Source.AI).order_by("id").values_list("case_id", "id", "language")
    ):
        ai_by_language[case_id][language] = report_id  # ascending ids: the newest wins
    pairs, mismatches = {}, []
    for case_id in sorted(reference.keys() & ai_by_language.keys()):
        reference_id, language, label = reference[case_id]
        ai_id = ai_by_language[case_id].get(language)
        if ai_id is not None:
            pairs[case_id] = (reference_id, ai_id)
        else:
            mismatches.append(
                LanguageMismatch(
                    case_id=case_id,
                    case_label=label,
                    reference_language=language,
                    ai_languages=tuple(sorted(ai_by_language[case_id])),
                )
            )
    return Pairing(pairs=pairs, mismatches=mismatches)


def eligible_count() -> int:
    """How many cases ``eligible_pairs()`` would return, counted by the database (one reference
    report per case is a constraint), for pages that show only the number."""
    same_language_ai = Report.objects.filter(
        source=Report.Source.AI, case=OuterRef("case"), language=OuterRef("language")
    )
    return Report.objects.filter(source=Report.Source.REFERENCE).filter(Exists(same_language_ai)).count()
