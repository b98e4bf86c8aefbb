"""Generation refuses to write reports with a model for cases it was trained on.

A checkpoint fine-tuned here carries ``training_record.json`` listing the cases it saw (train and
validation) and their patients' hashes (``cmr_reader.domain.training_manifests``). Its reports
on those cases, or on any other exam of those patients, would show readers what it memorised,
not what it can do; so a run over such cases is refused before any work is queued, with the
reason (decisions/0029). Checkpoints without a record (trained elsewhere, the demo) pass.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from cmr_reader.domain.training_manifests import read_training_exposure
from cmr_reader.domain.training_split import patient_hash
from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun

SHOWN = 5


class TrainingLeakageError(ValueError):
    """A generation run over cases its model was trained on (or other exams of those patients)."""


def refuse_trained_cases(run: GenerationRun, case_ids: Iterable[str]) -> None:
    """Raise ``TrainingLeakageError`` when the run's checkpoint saw any of ``case_ids`` or their
    patients in training; one query for the cases' patients."""
    if not run.checkpoint_path:
        return
    exposure = read_training_exposure(run.checkpoint_path)
    if exposure is None:
        return
    leaked = sorted(
        case_id
        for case_id, pseudonym in Case.objects.filter(case_id__in=list(case_ids)).values_list(
            "case_id", "patient_pseudonym"
        )
        if case_id in exposure.case_ids or patient_hash(pseudonym) in exposure.patient_hashes
    )
    if leaked:
        shown = ", ".join(leaked[:SHOWN]) + (", ..." if len(leaked) > SHOWN else "")
        raise TrainingLeakageError(
            _(
                "Refused: the model %(model)s was trained on %(count)d of these cases or on other exams "
                "of their patients (%(cases)s); its reports on them would measure memory, not skill. "
                "Generate for cases of its held-out split or of a reader study instead."
            )
            % {"model": run.model_name, "count": len(leaked), "cases": shown}
        )
