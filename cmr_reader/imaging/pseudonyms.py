"""Keyed pseudonyms: the only way an original identifier may influence what we store.

Every pseudonym is an HMAC-SHA256 (RFC 2104) of the original under the site's secret
``PSEUDONYM_KEY``, so the same original always maps to the same pseudonym at one site (series
from the same study land in the same case, re-imports are idempotent) while nobody without the
key can test a guess. Each purpose has its own domain-separation prefix, so a pseudonym of one
kind can never be matched against a pseudonym of another kind made from the same original.
"""

import hashlib
import hmac

_CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Dates move back by 30 days to two years; never zero, so a shifted date can't be the original.
_SHIFT_MIN_DAYS = 30
_SHIFT_MAX_DAYS = 730


def _crockford(digest: bytes, *, length: int) -> str:
    """The first ``5 * length`` bits of ``digest`` in Crockford base32 (no I, L, O, U)."""
    bits = 5 * length
    number = int.from_bytes(digest[: (bits + 7) // 8], "big") >> (-bits % 8)
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD_BASE32[number & 31])
        number >>= 5
    return "".join(reversed(chars))


class Pseudonymizer:
    """Deterministic, keyed pseudonyms for UIDs, patients, cases and identifiers."""

    def __init__(self, key: str | bytes):
        if isinstance(key, str):
            key = key.encode("utf-8")
        if not key:
            # An empty key would make every pseudonym a public, reversible-by-dictionary hash.
            raise ValueError("PSEUDONYM_KEY must not be empty")
        self._key = key

    def _digest(self, domain: str, value: str) -> bytes:
        return hmac.digest(self._key, f"{domain}:{value}".encode(), hashlib.sha256)

    def uid(self, original: str) -> str:
        """A UUID-derived UID (PS3.5 B.2: "2.25." + decimal of 128 bits) for ``original``.

        At most 44 characters, so always within the 64-character UI limit; a Python int's decimal
        form never has a leading zero, so the UID is valid.
        """
        number = int.from_bytes(self._digest("uid", original)[:16], "big")
        return f"2.25.{number}"

    def date_shift_days(self, patient_id: str) -> int:
        """The number of days (negative, in [-730, -30]) to add to every date of this patient.

        One shift per patient keeps intervals between a patient's examinations exact (PS3.15
        E.3.6, Retain Longitudinal Temporal Information with Modified Dates).
        """
        number = int.from_bytes(self._digest("date-shift", patient_id)[:8], "big")
        return -(_SHIFT_MIN_DAYS + number % (_SHIFT_MAX_DAYS - _SHIFT_MIN_DAYS + 1))

    def patient_pseudonym(self, patient_id: str) -> str:
        """``"P-"`` and 10 Crockford base32 characters (50 bits) for an original Patient ID."""
        return "P-" + _crockford(self._digest("patient", patient_id), length=10)

    def case_id(self, original_study_uid: str) -> str:
        """``"CMR-"`` and 10 Crockford base32 characters for an original Study Instance UID.

        14 characters, so it also fits Study ID (SH, 16 characters at most).
        """
        return "CMR-" + _crockford(self._digest("case", original_study_uid), length=10)

    def hash_identifier(self, value: str) -> str:
        """Hex HMAC of an identifier such as an Accession Number, for linking reports to studies.

        Surrounding whitespace is stripped first: RIS exports and DICOM (which pads to even
        length) disagree about it, and the link must not depend on it.
        """
        return self._digest("identifier", value.strip()).hex()
