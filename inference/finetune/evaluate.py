"""Reports on the held-out split, written through the ordinary generation path, for scoring.

``held_out_reports`` runs ``ReportGenerator`` (the path ``generate_reports`` uses) over a
manifest split and returns one row per case: the case, the reference report and the model's
report (or its error). ``manage.py evaluate_finetune`` scores the base model's rows against the
fine-tuned model's with the site's report metrics (they live with the analysis, on the Django
side), so this module only writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from cmr_reader.domain.training_manifests import Manifests, read_training_exposure
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.pipeline import CaseSource, ReportGenerator
from inference.prompts import PromptTemplate


def held_out_reports(
    backend,
    manifests: Manifests,
    *,
    input_config: InputConfig,
    templates: Mapping[str, PromptTemplate],
    settings: GenerationSettings,
    split: str = "test",
    limit: int | None = None,
    dicom_root: Path | None = None,
    cache_dir: Path | None = None,
) -> list[dict]:
    """One row per case of ``split`` (the first ``limit``): reference and generated report.

    Refuses a split that the model saw in training (its training record lists the cases)."""
    rows = manifests.rows.get(split, [])[:limit]
    exposure = read_training_exposure(backend.model_path)
    if exposure is not None:
        seen = [
            row.case_id
            for row in rows
            if row.case_id in exposure.case_ids or row.patient_hash in exposure.patient_hashes
        ]
        if seen:
            raise ValueError(
                f"the model was trained on {len(seen)} of these cases ({', '.join(seen[:3])}, ...)"
            )
    root = Path(dicom_root or manifests.dicom_root)
    by_case = {row.case_id: row for row in rows}
    written: dict[str, dict] = {}
    for language in sorted({row.language for row in rows}):
        generator = ReportGenerator(
            backend,
            template=templates[language],
            settings=settings,
            input_config=input_config,
            cache_dir=cache_dir,
            preprocess_workers=0,
        )
        sources = [
            CaseSource(
                key=row.case_id,
                source=tuple(root / path for path in row.files),
                series_kinds=row.series_kinds,
            )
            for row in rows
            if row.language == language
        ]
        for report in generator.run(sources):
            row = by_case[report.key]
            written[report.key] = {
                "case_id": row.case_id,
                "language": row.language,
                "reference": row.reference_report,
                "generated": report.text,
                "error": report.error,
                "model_sha256": report.provenance.get("model", {}).get("weights_sha256"),
            }
    return [written[row.case_id] for row in rows]


def write_rows(path: Path, rows: Iterable[dict]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows), encoding="utf-8"
    )
