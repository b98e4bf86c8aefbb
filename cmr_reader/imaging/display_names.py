"""File names as the site may keep them: without the words that could name a patient.

Exports are often named after the patient ("DOE_JOHN/IM_0001.dcm", "Smith MRI 2024-03-15.zip",
"张伟_20240315_cine.zip"). Import jobs keep the names of rejected files so the coordinator can
find them, so every stored name passes through ``safe_display_name``: folders dropped, and each
word that is not a short number, a short code or a technical term replaced by an ellipsis.
"DOE_JOHN/IM_0001.dcm" becomes "IM_0001.dcm"; "Smith MRI 2024-03-15.zip" becomes "… MRI ….zip";
"张伟_20240315_cine.zip" becomes "…_cine.zip"; a file named by its original UID becomes "….dcm".
Only ASCII letters and digits are ever kept: a word holding any other letter (Chinese, Cyrillic, a
look-alike of a Latin letter) is hidden whole, and so is every run of 6 or more digits (patient
IDs, phone numbers, dates). Rejections also carry the file's position in the import ("#17"),
which tells the coordinator which file it was.

Errors raised while reading a file quote its name (zipfile's "Bad CRC-32 for file 'DOE_JOHN/…'",
an OSError's path); ``error_without_names`` is the text such an error may be stored or logged as.
"""

import re
import unicodedata

from cmr_reader.imaging.descriptors import TECHNICAL_VOCABULARY

FILE_WORDS = frozenset(
    "dcm dicom dicomdir ima img im image images zip json txt md pdf xml csv readme export file "
    "files series study studies ser se exam scan dir folder part".split()
)
HIDDEN = "…"
# A word is a run of anything but ASCII punctuation and spaces (and our own ellipsis): a letter
# from another script joins the word it is in, so "Zhang张伟" is hidden whole, not half kept.
_WORDS = re.compile(r"[A-Za-z0-9\u0080-\u2025\u2027-\U0010ffff]+")
# Patient IDs, phone numbers and dates (20240315) are runs of digits; instance counters are not.
MAX_KEPT_DIGITS = 5
# Files are often named by their original SOP Instance UID, which must not be kept either.
_UID_LIKE = re.compile(r"\d+(\.\d+){3,}")
_SEPARATED_DATE = re.compile(r"\d{1,4}[-./_ ]\d{1,2}[-./_ ]\d{1,4}")
# A phone number is written in groups ("138 1234 5678"); two groups are instance counters
# ("IM-00041-00001"), three or more that hold a long number are hidden.
_DIGIT_GROUPS = re.compile(r"\d+(?:[-. _]\d+){2,}")
_HIDDEN_RUN = re.compile(rf"{HIDDEN}([^A-Za-z0-9{HIDDEN}]*{HIDDEN})+")
# A quoted string as repr() writes it; an apostrophe inside a word ("can't") opens none.
_QUOTED = re.compile(r"""(?<![A-Za-z0-9])(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
# zipfile puts a ZipInfo's repr in some errors: "File <ZipInfo filename='DOE/IM1.dcm' …>".
_OBJECT_REPR = re.compile(r"<[^<>]*>")
_PATH_LIKE = re.compile(r"\S*[/\\]\S*")
_LONG_NUMBER = re.compile(rf"\d{{{MAX_KEPT_DIGITS + 1},}}")
_NOT_ASCII = re.compile(rf"[^\x00-\x7f{HIDDEN}]+")
MAX_ERROR_CHARS = 200


def safe_display_name(name: str) -> str:
    """``name`` (a path, or "archive.zip:member/path") reduced to what identifies no one."""
    parts = [part.replace("\\", "/").rsplit("/", 1)[-1] for part in _plain(name).split(":")]
    return ":".join(_cleaned(part) for part in parts)


def error_without_names(error: BaseException) -> str:
    """``error``'s text with every quoted string, object repr, path, long number and non-ASCII
    word hidden.

    An OSError is given by its errno and description, without the file name(s) it carries.
    """
    if isinstance(error, OSError) and error.strerror:
        text = f"[Errno {error.errno}] {error.strerror}" if error.errno is not None else error.strerror
    else:
        text = str(error) or type(error).__name__
    text = _PATH_LIKE.sub(HIDDEN, _OBJECT_REPR.sub(HIDDEN, _QUOTED.sub(HIDDEN, _plain(text))))
    text = _NOT_ASCII.sub(HIDDEN, _LONG_NUMBER.sub(HIDDEN, text))
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _plain(text: str) -> str:
    """``text`` with look-alikes made plain, so that a rule cannot be dodged by spelling.

    Full-width and other compatibility forms become ASCII (NFKC: "０１２" is "012"), a digit of any
    script becomes its ASCII digit ("٢٠٢٤" is "2024"), invisible format characters (right-to-left
    marks and overrides, zero-width spaces) are removed, so that the digits they split are one run
    again, and control characters and other spaces become a space. Our own ellipsis is kept
    (NFKC would make it three dots).
    """
    return HIDDEN.join(_plain_piece(piece) for piece in text.split(HIDDEN))


def _plain_piece(text: str) -> str:
    chars = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category == "Nd":
            chars.append(str(unicodedata.decimal(char)))
        elif category in ("Cc", "Zs", "Zl", "Zp"):
            chars.append(" ")
        else:
            chars.append(char)
    return "".join(chars)


def _cleaned(part: str) -> str:
    part = _DIGIT_GROUPS.sub(_hide_long_number, _SEPARATED_DATE.sub(HIDDEN, _UID_LIKE.sub(HIDDEN, part)))
    cleaned = _WORDS.sub(_keep_or_hide, part)
    cleaned = _HIDDEN_RUN.sub(HIDDEN, cleaned).strip()
    # Nothing readable left (an empty name, only dots): say that something is there.
    return cleaned if re.search(rf"[A-Za-z0-9{HIDDEN}]", cleaned) else HIDDEN


def _hide_long_number(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return HIDDEN if digits > MAX_KEPT_DIGITS else match.group(0)


def _keep_or_hide(match: re.Match) -> str:
    word = match.group(0)
    lower = word.lower()
    if not word.isascii():
        return HIDDEN  # another script, or a look-alike of a Latin letter
    if word.isdigit():
        # Instance counters and series numbers are short; IDs, phone numbers and dates are not.
        return word if len(word) <= MAX_KEPT_DIGITS else HIDDEN
    if lower in TECHNICAL_VOCABULARY or lower in FILE_WORDS:
        return word
    if len(word) <= 4 and any(c.isdigit() for c in word):
        return word  # codes such as "im1", "se3", "4ch"
    return HIDDEN
