"""The training record saved inside a fine-tuned checkpoint folder. No torch.

``training_record.json`` is a ``.json`` file in the checkpoint folder, so the checkpoint's content
hash (``inference.checkpoint.checkpoint_sha256``, what every generation run records) covers it:
a run's reports trace back to the base checkpoint, the manifests, the settings and the code that
made the model. It holds no clock time, so the same inputs give the same record (and a resumed
run the same checkpoint hash as an uninterrupted one); timings go to the model card.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cmr_reader.domain.package_versions import package_versions, repository_version
from cmr_reader.domain.training_manifests import Manifests, seen_by_training
from inference.finetune.settings import FinetuneSettings
from inference.inputs import InputConfig
from inference.prompts import PromptTemplate

FORMAT = "cmr-reader-training-record/1"
LIBRARIES = (
    "torch",
    "torchvision",
    "transformers",
    "tokenizers",
    "peft",
    "accelerate",
    "safetensors",
    "numpy",
)
REPOSITORY = Path(__file__).resolve().parents[2]


def code_version() -> str:
    """CMR_READER_VERSION where a deployment sets it, else this checkout's git commit (-dirty)."""
    return repository_version(REPOSITORY, configured=os.environ.get("CMR_READER_VERSION", ""))


def training_record(
    *,
    base_path: Path,
    base_sha256: str,
    manifests: Manifests,
    settings: FinetuneSettings,
    input_config: InputConfig,
    templates: Mapping[str, PromptTemplate],
    device: Mapping[str, str],
    left_out: Mapping[str, str],
    code: str,
) -> dict:
    """What made the model: base checkpoint hash, manifest hashes, hyperparameters, seed, input
    settings, prompt templates, device kind, code and library versions, and the cases and patients
    it saw (train and validation), which generation refuses to write reports for."""
    seen = seen_by_training(manifests)
    summary = manifests.summary
    return {
        "format": FORMAT,
        "base_checkpoint": {"name": Path(base_path).resolve().name, "sha256": base_sha256},
        "manifests": {
            "sha256": manifests.hashes(),
            "key_fingerprint": summary.get("key_fingerprint"),
            "written_at": summary.get("created_at"),
            "written_by_code": summary.get("code_version"),
            "rows": {split: len(rows) for split, rows in sorted(manifests.rows.items())},
        },
        "hyperparameters": settings.as_dict(),
        "lora_target_modules": settings.target_modules(),
        "seed": settings.seed,
        "inputs": input_config.as_dict(),
        "prompt_templates": {
            language: {"name": template.name, "sha256": template.sha256}
            for language, template in sorted(templates.items())
        },
        "device": dict(device),
        "code_version": code,
        "libraries": package_versions(LIBRARIES),
        "left_out_unreadable": dict(sorted(left_out.items())),
        "seen": {
            "splits": ["train", "validation"],
            "case_ids": sorted(seen.case_ids),
            "patient_hashes": sorted(seen.patient_hashes),
        },
        "held_out": {"test_case_ids": sorted(row.case_id for row in manifests.rows.get("test", []))},
    }
