"""A checkpoint folder's content hash: what identifies "this model" in provenance. No torch."""

import hashlib
from pathlib import Path

# Everything that changes what the model writes: weights, configs, tokenizer, processor and chat template.
HASHED_SUFFIXES = (".safetensors", ".bin", ".json", ".jinja", ".txt", ".model", ".tiktoken")
CHUNK = 1 << 20


def checkpoint_files(path: Path) -> list[Path]:
    return sorted(
        (f for f in Path(path).rglob("*") if f.is_file() and f.suffix in HASHED_SUFFIXES and not f.name.startswith(".")),
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
