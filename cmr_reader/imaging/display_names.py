"""File names as the site may keep them: without the words that could name a patient.

Exports are often named after the patient ("DOE_JOHN/IM_0001.dcm", "Smith MRI 2024-03-15.zip").
Import jobs keep the names of rejected files so the coordinator can find them, so every stored
name passes through ``safe_display_name``: folders dropped, and each word that is not a number,
a short code or a technical term replaced by an ellipsis. "DOE_JOHN/IM_0001.dcm" becomes
"IM_0001.dcm"; "Smith MRI 2024-03-15.zip" becomes "… MRI ….zip"; a file named by its original
UID becomes "….dcm". Rejections also carry the file's position in the import ("#17"), which
tells the coordinator which file it was.
"""

import re

from cmr_reader.imaging.descriptors import TECHNICAL_VOCABULARY

FILE_WORDS = frozenset(
    "dcm dicom dicomdir ima img im image images zip json txt md pdf xml csv readme export file "
    "files series study studies ser se exam scan dir folder part".split()
)
_WORDS = re.compile(r"[A-Za-z0-9]+")
_DATE_LIKE = re.compile(r"(19|20)\d{6}$")
# Files are often named by their original SOP Instance UID, which must not be kept either.
_UID_LIKE = re.compile(r"\d+(\.\d+){3,}")
_SEPARATED_DATE = re.compile(r"\d{1,4}[-./_ ]\d{1,2}[-./_ ]\d{1,4}")
HIDDEN = "…"


def safe_display_name(name: str) -> str:
    """``name`` (a path, or "archive.zip:member/path") reduced to what identifies no one."""
    parts = [part.replace("\\", "/").rsplit("/", 1)[-1] for part in name.split(":")]
    cleaned = ":".join(_WORDS.sub(_keep_or_hide, _SEPARATED_DATE.sub(HIDDEN, _UID_LIKE.sub(HIDDEN, part))) for part in parts)
    cleaned = re.sub(rf"{HIDDEN}([^A-Za-z0-9{HIDDEN}]*{HIDDEN})+", HIDDEN, cleaned)
    return cleaned


def _keep_or_hide(match: re.Match) -> str:
    word = match.group(0)
    lower = word.lower()
    if word.isdigit():
        # Numbers are instance counters and series numbers, but a run like 20240315 is a date.
        return HIDDEN if _DATE_LIKE.match(word) else word
    if lower in TECHNICAL_VOCABULARY or lower in FILE_WORDS:
        return word
    if len(word) <= 4 and any(c.isdigit() for c in word):
        return word  # codes such as "im1", "se3", "4ch"
    return HIDDEN
