"""The fine-tuned checkpoint: LoRA merged into the base weights, saved with its record and card.

Merged weights load through the same ``AutoProcessor`` / ``AutoModelForImageTextToText`` path as
any checkpoint, so ``generate_reports --model DIR`` needs nothing new; the input settings it was
trained with go to ``demo_inputs.json`` (``INPUTS_FILE``), which generation reads.
"""

from __future__ import annotations

import json
from pathlib import Path

from cmr_reader.domain.training_manifests import TRAINING_RECORD_FILE
from inference.checkpoint import INPUTS_FILE
from inference.finetune.model_card import MODEL_CARD_FILE, model_card
from inference.inputs import InputConfig


def save_merged(
    peft_model, processor, out: Path, *, record: dict, input_config: InputConfig, run: dict
) -> Path:
    """Merge the adapters into a copy-free base model and write the checkpoint folder ``out``."""
    model = peft_model.merge_and_unload()
    if getattr(model, "supports_gradient_checkpointing", False):
        # transformers 5 renamed it; the old name warns until v6.
        getattr(model, "activation_checkpointing_disable", model.gradient_checkpointing_disable)()
    model.config.use_cache = True
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    (out / INPUTS_FILE).write_text(json.dumps(input_config.as_dict(), indent=2) + "\n", encoding="utf-8")
    (out / TRAINING_RECORD_FILE).write_text(
        json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / MODEL_CARD_FILE).write_text(model_card(record, run=run), encoding="utf-8")
    return out
