"""Which of a site's cases may train its report model, and in which split. Pure, no Django.

Cases are split by *patient*, never by exam: a keyed HMAC of the patient pseudonym
(``Case.patient_pseudonym``) is read as a number in [0, 1) and compared with the test and
validation fractions, so every exam of one patient lands in the same split, a patient never
changes split when the archive grows, and nobody without the key can steer a patient into
training. Every case that is in any reader study is *reserved*, and so is every other exam of
those patients: none of them appears in any split (decisions/0029). Readers would otherwise
score the model on what it memorised.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

SPLITS = ("train", "validation", "test")
# Splits whose cases the model learns from or is selected on; a model must never generate for them.
SEEN_SPLITS = ("train", "validation")
MIN_KEY_BYTES = 16
_SPLIT_DOMAIN = b"cmr-reader/training-split\0"
_PATIENT_HASH_DOMAIN = "cmr-reader/training-patient\0"


@dataclass(frozen=True)
class SplitFractions:
    validation: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        if not (0 <= self.validation < 1 and 0 <= self.test < 1 and self.validation + self.test < 1):
            raise ValueError(
                "validation and test fractions must each be in [0, 1) and leave a share for training"
            )


@dataclass(frozen=True)
class CaseFacts:
    """What the splitter needs of one stored case."""

    case_id: str
    patient_pseudonym: str
    in_reader_study: bool


@dataclass(frozen=True)
class SplitPlan:
    splits: dict[str, str]  # case id -> "train" | "validation" | "test"
    reserved_case_ids: frozenset[str]  # in a reader study, or another exam of such a patient
    reserved_patient_hashes: frozenset[str] = field(default_factory=frozenset)

    def cases_in(self, split: str) -> list[str]:
        return sorted(case_id for case_id, name in self.splits.items() if name == split)


def check_key(key: bytes) -> bytes:
    """The split key as given, refused when too short to keep the split unguessable."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the split key needs at least {MIN_KEY_BYTES} bytes, not {len(key)}")
    return key


def key_fingerprint(key: bytes) -> str:
    """Which key made a split, recorded without revealing it (an HMAC of a fixed message)."""
    return hmac.digest(check_key(key), b"cmr-reader/key-fingerprint", hashlib.sha256).hex()[:16]


def patient_position(pseudonym: str, *, key: bytes) -> float:
    """The patient's place in [0, 1): the first 64 bits of HMAC-SHA256(key, pseudonym) / 2**64."""
    digest = hmac.digest(check_key(key), _SPLIT_DOMAIN + pseudonym.encode("utf-8"), hashlib.sha256)
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_for_patient(pseudonym: str, *, key: bytes, fractions: SplitFractions) -> str:
    """test below ``fractions.test``, validation below test + validation, train above."""
    position = patient_position(pseudonym, key=key)
    if position < fractions.test:
        return "test"
    if position < fractions.test + fractions.validation:
        return "validation"
    return "train"


def patient_hash(pseudonym: str) -> str:
    """SHA-256 of a patient pseudonym (itself a keyed HMAC): what a model's training record lists,
    so that generation can recognise the patient's other exams without the split key."""
    return hashlib.sha256((_PATIENT_HASH_DOMAIN + pseudonym).encode("utf-8")).hexdigest()


def plan_splits(cases: Iterable[CaseFacts], *, key: bytes, fractions: SplitFractions) -> SplitPlan:
    """Each case's split, leaving out every reader-study case and every exam of its patients."""
    cases = list(cases)
    check_key(key)
    study_patients = {case.patient_pseudonym for case in cases if case.in_reader_study}
    reserved = frozenset(case.case_id for case in cases if case.patient_pseudonym in study_patients)
    splits = {
        case.case_id: split_for_patient(case.patient_pseudonym, key=key, fractions=fractions)
        for case in cases
        if case.case_id not in reserved
    }
    return SplitPlan(
        splits=splits,
        reserved_case_ids=reserved,
        reserved_patient_hashes=frozenset(patient_hash(p) for p in study_patients),
    )
