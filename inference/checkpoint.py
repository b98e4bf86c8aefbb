"""A checkpoint folder's content hash (what identifies "this model" in provenance) and the input
settings it records. No torch."""

import dataclasses
import hashlib
import json
from pathlib import Path

from inference.inputs import InputConfig

# Everything that changes what the model writes: weights, configs, tokenizer, processor and chat template.
HASHED_SUFFIXES = (".safetensors", ".bin", ".json", ".jinja", ".txt", ".model", ".tiktoken")
CHUNK = 1 << 20
# Written next to the weights by ``train-demo``: how the model's inputs were made (InputConfig.as_dict()).
INPUTS_FILE = "demo_inputs.json"


def checkpoint_files(path: Path) -> list[Path]:
    return sorted(
        (
            f
            for f in Path(path).rglob("*")
            if f.is_file() and f.suffix in HASHED_SUFFIXES and not f.name.startswith(".")
        ),
        key=lambda f: f.relative_to(path).as_posix(),
    )


def checkpoint_sha256(path: Path | str) -> str:
    """SHA-256 over (relative name, size, content) of every weight, config, tokenizer and template
    file in sorted order, streamed; README and other files do not count."""
    path = Path(path)
    files = checkpoint_files(path)
    if not files:
        raise FileNotFoundError(f"{path} holds no checkpoint files (config, weights, tokenizer)")
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.relative_to(path).as_posix()}\0{file.stat().st_size}\0".encode())
        with file.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def read_input_config(model_path: Path | str) -> InputConfig | None:
    """The input settings a checkpoint was trained with, when it records them (the demo model does)."""
    path = Path(model_path) / INPUTS_FILE
    if not path.is_file():
        return None
    values = json.loads(path.read_text(encoding="utf-8"))
    values["window_percentiles"] = tuple(values["window_percentiles"])
    return InputConfig(**values)


# Where a checkpoint's processor settings live: transformers 5 writes one processor_config.json
# holding each sub-processor's; older checkpoints (the published Qwen-VL ones) keep one file each.
PROCESSOR_FILES = ("processor_config.json", "video_preprocessor_config.json", "preprocessor_config.json")


def checkpoint_grid_factor(model_path: Path | str) -> int | None:
    """Patch size x merge size of the checkpoint's video (else image) processor, read from its
    files: the side frames should be a multiple of (Qwen2/2.5-VL 28, Qwen3-VL 32). None where the
    processor names no patch grid (Gemma-3 resizes every image to one square)."""
    for name in PROCESSOR_FILES:
        path = Path(model_path) / name
        if not path.is_file():
            continue
        values = json.loads(path.read_text(encoding="utf-8"))
        for settings in (values.get("video_processor"), values.get("image_processor"), values):
            if isinstance(settings, dict):
                patch, merge = settings.get("patch_size"), settings.get("merge_size")
                if isinstance(patch, int) and isinstance(merge, int):
                    return patch * merge
    return None


def input_config_for_checkpoint(
    model_path: Path | str,
    *,
    frames_per_cine: str | None = None,
    sax_slices: str | None = None,
    max_pixels: int | None = None,
) -> InputConfig:
    """The input settings to use with a checkpoint: the options given, else the ones it was
    trained with (``INPUTS_FILE``), else the defaults; frame sides follow the checkpoint's patch
    grid (``checkpoint_grid_factor``). ``frames_per_cine`` is the command-line option as typed: a
    number, "all" (every phase) or None (not given)."""
    base = read_input_config(model_path) or InputConfig()
    grid = checkpoint_grid_factor(model_path)
    frames = base.frames_per_cine
    if frames_per_cine == "all":
        frames = None
    elif frames_per_cine is not None:
        try:
            frames = int(frames_per_cine)
        except ValueError:
            raise ValueError(f"frames per cine must be a number or 'all', not {frames_per_cine!r}") from None
    return dataclasses.replace(
        base,
        frames_per_cine=frames,
        sax_slices=sax_slices or base.sax_slices,
        max_pixels=max_pixels or base.max_pixels,
        patch_side=grid or base.patch_side,
    )
