"""MODEL_CARD.md of a fine-tuned checkpoint, written from its training record. No torch.

The card is Markdown, so it is not part of the checkpoint's content hash (the record is); it may
carry the run's timings, which the record leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping

MODEL_CARD_FILE = "MODEL_CARD.md"


def model_card(record: Mapping, *, run: Mapping) -> str:
    """The card: what the model is, what it was trained on and how, what it must not be used on."""
    settings = record["hyperparameters"]
    rows = record["manifests"]["rows"]
    seen = record["seen"]
    losses = run.get("losses", {})
    lines = [
        f"# Fine-tuned CMR report model from {record['base_checkpoint']['name']}",
        "",
        "LoRA adapters trained on this site's own (study inputs, reference report) pairs and merged "
        "into the base weights; it loads and generates like any other checkpoint.",
        "",
        "## Provenance",
        "",
        f"- Base checkpoint SHA-256: `{record['base_checkpoint']['sha256']}`",
        "- Manifests (SHA-256): "
        + ", ".join(f"{name} `{sha[:16]}`" for name, sha in sorted(record["manifests"]["sha256"].items())),
        f"- Split key fingerprint: `{record['manifests']['key_fingerprint']}`",
        f"- Code version: `{record['code_version']}`; libraries: "
        + ", ".join(f"{name} {version}" for name, version in record["libraries"].items()),
        f"- Device: {record['device'].get('type')} ({record['device'].get('dtype')})",
        "",
        "## Data",
        "",
        f"- Training cases: {rows.get('train', 0)}; validation: {rows.get('validation', 0)}; "
        f"held-out test: {rows.get('test', 0)} (split by a keyed hash of the patient).",
        f"- Cases it saw (train and validation): {len(seen['case_ids'])}, of "
        f"{len(seen['patient_hashes'])} patients. Every case in a reader study, and every other exam "
        "of those patients, was left out; the site refuses to generate with this model for any case "
        "it saw or any other exam of those patients.",
        f"- Cases left out because they could not be read: {len(record['left_out_unreadable'])}.",
        "",
        "## Training",
        "",
        f"- LoRA rank {settings['lora_rank']}, alpha {settings['lora_alpha']}, dropout "
        f"{settings['lora_dropout']}, on `{record['lora_target_modules']}`; vision tower "
        f"{'adapted' if settings['train_vision'] else 'frozen'}.",
        f"- {settings['steps']} steps of {settings['batch_size']} x {settings['accumulate']} cases, "
        f"AdamW at {settings['learning_rate']} (warm-up {settings['warmup_steps']} steps, cosine), "
        f"seed {record['seed']}.",
        f"- Input settings: `{record['inputs']}`",
        f"- Training loss: first step {_number(losses.get('first'))}, last {_number(losses.get('last'))}; "
        f"validation loss before training {_number(losses.get('validation_first'))}, after "
        f"{_number(losses.get('validation_last'))}.",
        f"- Time: {_number(run.get('train_seconds'))} s, {_number(run.get('steps_per_second'))} steps/s.",
        "",
        "## Use and limits",
        "",
        "Evaluate it on the held-out split before use (`python -m inference finetune evaluate`, then "
        "`manage.py evaluate_finetune`). It learned this site's report style from this site's patients; "
        "it is not validated anywhere else. Its reports are drafts for blinded reader studies, not "
        "clinical reports.",
        "",
    ]
    return "\n".join(lines)


def _number(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
