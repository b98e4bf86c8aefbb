"""What readers see of a study's pairs, and the blinding audit over them.

Both reports of a pair are put in the display form (``reports/normalise.py``) in the pair's
language, the reference report's (eligibility makes the AI report's the same). The coordinator's
per-case view and the audit call ``displayed_pair``; the reading page calls the same
``normalise_for_display`` with the same language, so the audit measures what readers get.
"""

from collections import Counter
from dataclasses import dataclass

from cmr_reader.reports.normalise import WITHHELD_REASONS, DisplayForm, display_form
from cmr_reader.studies.blinding_audit import AuditPair, AuditReport, audit_pairs
from cmr_reader.studies.models import BlindingAudit, ReaderStudy, StudyCase

ARMS = ("reference", "ai")


@dataclass(frozen=True)
class DisplayedPair:
    study_case_id: int
    case_label: str
    language: str
    reference: DisplayForm
    ai: DisplayForm

    def arm(self, name: str) -> DisplayForm:
        return self.reference if name == "reference" else self.ai

    @property
    def arms(self) -> tuple[tuple[str, DisplayForm], ...]:
        return tuple((name, self.arm(name)) for name in ARMS)


def displayed_pair(
    *, study_case_id: int, case_label: str, language: str, reference_text: str, ai_text: str
) -> DisplayedPair:
    return DisplayedPair(
        study_case_id=study_case_id,
        case_label=case_label,
        language=language,
        reference=display_form(reference_text, language=language),
        ai=display_form(ai_text, language=language),
    )


def displayed_pairs(study_cases) -> list[DisplayedPair]:
    """The display forms of the ``StudyCase`` queryset ``study_cases``, in case-label order."""
    rows = study_cases.order_by("case__case_id", "id").values_list(
        "id", "case__case_id", "reference_report__language", "reference_report__text", "ai_report__text"
    )
    return [
        displayed_pair(study_case_id=pk, case_label=label, language=language, reference_text=ref, ai_text=ai)
        for pk, label, language, ref, ai in rows.iterator(chunk_size=500)
    ]


def withheld_summary(pairs: list[DisplayedPair]) -> dict[str, dict[str, int]]:
    """Per arm: sentences withheld by reason, and how many reports had anything withheld."""
    summary = {}
    for arm in ARMS:
        counts: Counter = Counter()
        reports = 0
        for pair in pairs:
            form = pair.arm(arm)
            counts.update(item.reason for item in form.withheld)
            reports += bool(form.withheld)
        summary[arm] = {**{reason: counts[reason] for reason in WITHHELD_REASONS}, "reports": reports}
    return summary


def run_blinding_audit(*, study: ReaderStudy, user=None, now) -> BlindingAudit:
    """Audit the study's pairs as displayed and store the result with the study."""
    pairs = displayed_pairs(StudyCase.objects.filter(study=study))
    result = audit_pairs(
        [_audit_pair(pair) for pair in pairs], threshold=study.blinding_threshold, seed=study.seed
    )
    return BlindingAudit.objects.create(
        study=study,
        created_at=now,
        created_by=user,
        pair_count=result.pairs,
        accuracy=result.accuracy,
        threshold=result.threshold,
        result={**result.as_json(), "withheld": withheld_summary(pairs)},
    )


def latest_audit(study: ReaderStudy) -> BlindingAudit | None:
    return study.blinding_audits.order_by("-created_at", "-id").first()


def _audit_pair(pair: DisplayedPair) -> AuditPair:
    return AuditPair(
        label=pair.case_label, reference=_audit_report(pair.reference), ai=_audit_report(pair.ai)
    )


def _audit_report(form: DisplayForm) -> AuditReport:
    return AuditReport(text=form.text, findings=form.findings, impression=form.impression)
