"""Post data for the coordinator's study forms, built from what is stored (as the page would send it)."""

from cmr_reader.studies.models import ReaderStudy


def criteria_formset_post(study: ReaderStudy, *, extra_forms: int = 0) -> dict:
    """The criteria page's post for ``study``'s criteria, unchanged, with room for ``extra_forms``
    new ones (the caller fills ``criteria-<n>-...`` for those)."""
    criteria = list(study.criteria.order_by("order"))
    data: dict = {
        "criteria-TOTAL_FORMS": str(len(criteria) + extra_forms),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for n, criterion in enumerate(criteria):
        data.update(
            {
                f"criteria-{n}-id": criterion.pk,
                f"criteria-{n}-study": study.pk,
                f"criteria-{n}-key": criterion.key,
                f"criteria-{n}-label": criterion.label,
                f"criteria-{n}-label_zh": criterion.label_zh,
                f"criteria-{n}-help_text": criterion.help_text,
                f"criteria-{n}-help_text_zh": criterion.help_text_zh,
                f"criteria-{n}-anchors_zh": "\n".join(criterion.anchors_zh),
                f"criteria-{n}-order": n,
            }
        )
        data.update({f"criteria-{n}-anchor_{k}": a for k, a in enumerate(criterion.anchors, start=1)})
    return data
