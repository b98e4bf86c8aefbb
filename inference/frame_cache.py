"""Decoded model inputs on disk, so that a rerun does not read DICOM again.

One entry per key (the inputs' fingerprint): ``<key>.npz`` holds the arrays, uncompressed (loading
must be faster than decoding), and ``<key>.json`` the small metadata plus the name, shape and
dtype of every array. Both files are written to a temporary name and moved into place with
``os.replace`` (atomic on POSIX and Windows), the JSON last: a reader never sees half a file, and
the JSON is the entry's commit mark. An entry that fails to load or disagrees with its JSON
(corrupt, truncated, another format version) is a miss, and the caller's next write replaces it.
"""

import json
import logging
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
KEY_PATTERN = re.compile(r"[0-9a-f]{16,128}")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheEntry:
    meta: dict
    arrays: dict[str, np.ndarray]


def read_entry(*, cache_dir: Path, key: str) -> CacheEntry | None:
    """The entry stored under ``key``, or None when there is none or it cannot be trusted."""
    json_path, npz_path = _paths(cache_dir=cache_dir, key=key)
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT_VERSION or document.get("key") != key:
            return None
        arrays = {}
        with np.load(npz_path, allow_pickle=False) as stored:
            for name, (shape, dtype) in document["arrays"].items():
                array = stored[name]
                if list(array.shape) != shape or str(array.dtype) != dtype:
                    return None
                arrays[name] = array
        return CacheEntry(meta=document["meta"], arrays=arrays)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        logger.warning("Ignoring the unreadable frame cache entry %s: %s", key, error)
        return None


def write_entry(*, cache_dir: Path, key: str, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Store ``arrays`` and the JSON-serialisable ``meta`` under ``key``, replacing any entry."""
    json_path, npz_path = _paths(cache_dir=cache_dir, key=key)
    cache_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT_VERSION,
        "key": key,
        "arrays": {name: [list(a.shape), str(a.dtype)] for name, a in arrays.items()},
        "meta": meta,
    }
    # numpy's stubs type savez(**kwds) so that a key could be the bool allow_pickle.
    _write_atomically(npz_path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]
    _write_atomically(json_path, lambda handle: handle.write(json.dumps(document, indent=1).encode("utf-8")))


def _paths(*, cache_dir: Path, key: str) -> tuple[Path, Path]:
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"a frame cache key is lower-case hex, not {key!r}")
    return Path(cache_dir) / f"{key}.json", Path(cache_dir) / f"{key}.npz"


def _write_atomically(path: Path, write) -> None:
    handle = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
