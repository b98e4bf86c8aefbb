"""Property-based fuzzing (hypothesis) of the two entry points that take files from outside: a
DICOM file through prepare (read, check, de-identify, encode) and a ratings CSV. Every input ends
as a result or a clear rejection; nothing else escapes, nothing hangs, memory stays bounded.
Cases hypothesis found are kept below as explicit examples."""

import struct
import time
import tracemalloc

import pydicom
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cmr_reader.analysis.agreement.ratings_csv import RatingsFileError, read_ratings_csv
from cmr_reader.imaging.deidentify import RejectedFile
from cmr_reader.imaging.prepare import prepare_instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from tests.support.dicom_factory import make_mr, to_bytes

PSEUDONYMIZER = Pseudonymizer("fuzz-key")
VALID = to_bytes(make_mr())
SECONDS_PER_FILE = 5.0
MEMORY_LIMIT = 256 * 2**20


def prepare_or_reject(raw: bytes) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        prepare_instance(raw, pseudonymizer=PSEUDONYMIZER)
    except RejectedFile as rejected:
        assert str(rejected).strip()  # a reason a coordinator can read
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < SECONDS_PER_FILE
    assert peak < MEMORY_LIMIT, f"{peak / 2**20:.0f} MiB"


def element_offsets(raw: bytes) -> list[int]:
    """Offsets of explicit-VR element headers after the preamble (a cheap scan for plausible tags)."""
    return [
        i
        for i in range(132, len(raw) - 8, 2)
        if raw[i + 4 : i + 6].isalpha() and raw[i + 4 : i + 6].isupper()
    ]


OFFSETS = element_offsets(VALID)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(VALID) - 1))
@example(cut=132)  # the preamble and magic only
@example(cut=len(VALID) - 1)  # one byte short of the pixels
def test_truncated_files(cut):
    prepare_or_reject(VALID[:cut])


@FUZZ
@given(
    offset=st.sampled_from(OFFSETS),
    length=st.sampled_from([0, 1, 3, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0]),
)
def test_wrong_and_huge_declared_lengths(offset, length):
    raw = bytearray(VALID)
    vr = bytes(raw[offset + 4 : offset + 6])
    if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
        raw[offset + 8 : offset + 12] = struct.pack("<I", length)
    else:
        raw[offset + 6 : offset + 8] = struct.pack("<H", length & 0xFFFF)
    prepare_or_reject(bytes(raw))


@FUZZ
@given(offset=st.sampled_from(OFFSETS), vr=st.binary(min_size=2, max_size=2))
@example(offset=OFFSETS[5], vr=b"\x00\x00")
def test_bad_value_representations(offset, vr):
    raw = bytearray(VALID)
    raw[offset + 4 : offset + 6] = vr
    prepare_or_reject(bytes(raw))


@FUZZ
@given(
    position=st.integers(min_value=128, max_value=len(VALID) - 4), noise=st.binary(min_size=1, max_size=16)
)
def test_random_byte_damage(position, noise):
    raw = bytearray(VALID)
    raw[position : position + len(noise)] = noise
    prepare_or_reject(bytes(raw[: len(VALID)]))


def nested_sequence(depth: int) -> bytes:
    """A private sequence nested ``depth`` deep, undefined lengths throughout, written by hand
    (pydicom's own writer slows down badly past a few hundred levels)."""
    creator = struct.pack("<HH2sH", 0x7FDF, 0x0010, b"LO", 4) + b"FUZZ"
    open_sequence = struct.pack("<HH2sHI", 0x7FDF, 0x1000, b"SQ", 0, 0xFFFFFFFF)
    open_item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close_item = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    close_sequence = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    inner = struct.pack("<HH2sH", 0x0008, 0x0100, b"SH", 2) + b"X "
    for _ in range(depth):
        inner = open_sequence + open_item + inner + close_item + close_sequence
        # deeper levels reuse the same private tag inside each item
    return creator + inner


@pytest.mark.parametrize("depth", [50, 2000, 20000])
def test_deeply_nested_sequences(depth):
    pixel_data = VALID.index(struct.pack("<HH", 0x7FE0, 0x0010) + b"OW")
    prepare_or_reject(VALID[:pixel_data] + nested_sequence(depth) + VALID[pixel_data:])


def test_garbage_that_is_not_dicom_at_all():
    for raw in (b"", b"DICM", b"\x00" * 132 + b"DICM", b"\xff" * 4096, b"%PDF-1.7\n" + b"x" * 1000):
        prepare_or_reject(raw)


CSV_FIELDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(
        st.sampled_from(["case_id", "reader_id", "criterion", "score", "arm", "extra", ""]), max_size=6
    ),
    rows=st.lists(st.lists(CSV_FIELDS, max_size=6), max_size=8),
    separator=st.sampled_from([",", ";", "\t"]),
)
@example(header=["case_id", "reader_id", "criterion", "score"], rows=[["1", "a", "c", "NaN"]], separator=",")
@example(
    header=["case_id", "reader_id", "criterion", "score"], rows=[["1", "a", "c", "1e309"]], separator=","
)
def test_any_ratings_csv_is_read_or_refused_with_its_line(header, rows, separator):
    text = "\n".join(separator.join(row) for row in [header, *rows]) + "\n"
    try:
        parsed = read_ratings_csv(text)
    except RatingsFileError as error:
        assert "line" in str(error) or "column" in str(error) or "empty" in str(error).lower(), str(error)
        return
    for row in parsed:
        assert row.score is None or 1 <= row.score <= 5


def test_the_valid_file_itself_is_prepared():
    prepared = prepare_instance(VALID, pseudonymizer=PSEUDONYMIZER)
    assert prepared.pixel_data and pydicom.dcmread.__name__  # sanity: the fuzz starts from a good file
