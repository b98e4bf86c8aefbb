"""Fine-tuning manifests and training records: the files between the site and the training machine.

``manage.py prepare_finetune_data`` writes one JSON Lines manifest per split (``train.jsonl``,
``validation.jsonl``, ``test.jsonl``: case id, patient hash, the stored DICOM files and series
kinds that generation would read, the reference report) and ``summary.json`` with each
manifest's SHA-256 and what was reserved for reader studies. The training side
(``inference.finetune``, no Django) reads them back through ``read_manifests``, which refuses
files whose hash changed, a patient in two splits, or any row that is a reserved case or patient.

A fine-tuned checkpoint carries ``training_record.json`` (``TRAINING_RECORD_FILE``): among the
rest, the case ids and patient hashes it saw (train and validation). ``read_training_exposure``
reads those back for the generation-time check. Pure, no Django, no torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cmr_reader.domain.training_split import SEEN_SPLITS, SPLITS

FORMAT = "cmr-reader-finetune-manifests/1"
SUMMARY_FILE = "summary.json"
TRAINING_RECORD_FILE = "training_record.json"


class ManifestError(ValueError):
    """Manifests that must not be trained on, with the reason."""


@dataclass(frozen=True)
class ManifestRow:
    case_id: str
    patient_hash: str
    split: str
    language: str  # the reference report's: "en" | "zh"
    reference_report: str
    files: tuple[str, ...]  # the case's stored DICOM files, relative to the summary's dicom_root
    series_kinds: Mapping[str, str] = field(default_factory=dict)  # SeriesInstanceUID -> kind

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ManifestError(f"case {self.case_id}: unknown split {self.split!r}")
        if not self.reference_report.strip() or not self.files:
            raise ManifestError(f"case {self.case_id}: a row needs a reference report and files")

    def as_json(self) -> str:
        values = asdict(self)
        values["files"] = list(self.files)
        values["series_kinds"] = dict(self.series_kinds)
        return json.dumps(values, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> ManifestRow:
        values = json.loads(line)
        values["files"] = tuple(values["files"])
        return cls(**values)


@dataclass(frozen=True)
class Manifests:
    folder: Path
    summary: dict
    rows: dict[str, list[ManifestRow]]  # split -> rows

    @property
    def dicom_root(self) -> Path:
        return Path(self.summary["dicom_root"])

    def hashes(self) -> dict[str, str]:
        """SHA-256 of each manifest and of the summary: what a training record names."""
        hashes = {name: info["sha256"] for name, info in self.summary["manifests"].items()}
        hashes[SUMMARY_FILE] = file_sha256(self.folder / SUMMARY_FILE)
        return hashes


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def overlap_problems(
    rows: Iterable[ManifestRow], *, reserved_case_ids: Iterable[str], reserved_patient_hashes: Iterable[str]
) -> list[str]:
    """Why these rows must not be trained on: a reserved (reader-study) case or patient among them,
    or a patient in two splits. Empty when they are clean."""
    reserved_cases, reserved_patients = set(reserved_case_ids), set(reserved_patient_hashes)
    problems = []
    split_of_patient: dict[str, str] = {}
    for row in rows:
        if row.case_id in reserved_cases:
            problems.append(f"case {row.case_id} ({row.split}) is reserved for the reader studies")
        elif row.patient_hash in reserved_patients:
            problems.append(
                f"case {row.case_id} ({row.split}) belongs to a patient with a case in a reader study"
            )
        other = split_of_patient.setdefault(row.patient_hash, row.split)
        if other != row.split:
            problems.append(f"case {row.case_id}: its patient is in both {other} and {row.split}")
    return problems


def write_manifests(folder: Path, *, rows: Iterable[ManifestRow], summary: dict) -> dict:
    """Write the manifests and ``summary.json`` into ``folder`` (which must not exist or be empty)
    and return the summary written. Refuses rows that overlap ``summary["reserved"]``; files are
    written in a temporary folder beside it and moved in whole, so a failure leaves nothing."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ManifestError(f"{folder} is not empty; manifests are written into a new folder")
    rows = sorted(rows, key=lambda row: (SPLITS.index(row.split), row.case_id))
    reserved = summary.get("reserved", {})
    problems = overlap_problems(
        rows,
        reserved_case_ids=reserved.get("case_ids", ()),
        reserved_patient_hashes=reserved.get("patient_hashes", ()),
    )
    if problems:
        raise ManifestError("; ".join(problems[:5]))
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        return _write_into(staging, folder, rows=rows, summary=summary)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_into(staging: Path, folder: Path, *, rows: list[ManifestRow], summary: dict) -> dict:
    manifests = {}
    for split in SPLITS:
        lines = [row.as_json() + "\n" for row in rows if row.split == split]
        path = staging / f"{split}.jsonl"
        path.write_text("".join(lines), encoding="utf-8")
        manifests[split] = {
            "file": path.name,
            "sha256": file_sha256(path),
            "rows": len(lines),
            "patients": len({row.patient_hash for row in rows if row.split == split}),
        }
    written = {"format": FORMAT, **summary, "manifests": manifests}
    (staging / SUMMARY_FILE).write_text(
        json.dumps(written, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    if folder.exists():
        folder.rmdir()
    os.replace(staging, folder)
    return written


def read_manifests(folder: Path) -> Manifests:
    """The manifests in ``folder``, checked: each file's SHA-256 is the summary's, every row is in
    its file's split, no patient is in two splits, and no row is a reserved case or patient."""
    folder = Path(folder)
    summary_path = folder / SUMMARY_FILE
    if not summary_path.is_file():
        raise ManifestError(f"{folder} holds no {SUMMARY_FILE}: not a manifest folder")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    if summary.get("format") != FORMAT:
        raise ManifestError(f"{summary_path} is not of format {FORMAT}")
    rows: dict[str, list[ManifestRow]] = {}
    for split, info in summary["manifests"].items():
        path = folder / info["file"]
        if not path.is_file() or file_sha256(path) != info["sha256"]:
            raise ManifestError(f"{path.name} is missing or changed since it was written (SHA-256 differs)")
        rows[split] = [
            ManifestRow.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line
        ]
        strays = [row.case_id for row in rows[split] if row.split != split]
        if strays:
            raise ManifestError(f"{path.name} holds rows of another split: {', '.join(strays[:5])}")
    reserved = summary.get("reserved", {})
    problems = overlap_problems(
        (row for split_rows in rows.values() for row in split_rows),
        reserved_case_ids=reserved.get("case_ids", ()),
        reserved_patient_hashes=reserved.get("patient_hashes", ()),
    )
    if problems:
        raise ManifestError("; ".join(problems[:5]))
    return Manifests(folder=folder, summary=summary, rows=rows)


@dataclass(frozen=True)
class TrainingExposure:
    """What a fine-tuned checkpoint has seen (its train and validation cases and their patients)."""

    case_ids: frozenset[str]
    patient_hashes: frozenset[str]


def seen_by_training(manifests: Manifests) -> TrainingExposure:
    rows = [row for split in SEEN_SPLITS for row in manifests.rows.get(split, [])]
    return TrainingExposure(
        case_ids=frozenset(row.case_id for row in rows),
        patient_hashes=frozenset(row.patient_hash for row in rows),
    )


def read_training_exposure(model_path: Path | str) -> TrainingExposure | None:
    """The cases and patients a checkpoint was trained on, from its training record; None for a
    checkpoint without one (trained elsewhere, the demo model)."""
    path = Path(model_path) / TRAINING_RECORD_FILE
    if not path.is_file():
        return None
    seen = json.loads(path.read_text(encoding="utf-8"))["seen"]
    return TrainingExposure(
        case_ids=frozenset(seen["case_ids"]), patient_hashes=frozenset(seen["patient_hashes"])
    )
