import hashlib
import hmac
import re

import pytest

from cmr_reader.imaging.pseudonyms import Pseudonymizer

CROCKFORD_10 = "[0-9A-HJKMNP-TV-Z]{10}"


@pytest.fixture
def pseudonymizer():
    return Pseudonymizer("site-secret")


def test_uid_is_deterministic_valid_and_short(pseudonymizer):
    originals = [f"1.3.12.2.1107.5.2.19.45557.{n}" for n in range(300)]
    uids = [pseudonymizer.uid(original) for original in originals]

    assert uids == [pseudonymizer.uid(original) for original in originals]
    assert len(set(uids)) == len(uids)
    for uid in uids:
        assert len(uid) <= 64
        # PS3.5 9.1: components are digits without leading zeros (except "0" itself).
        assert re.fullmatch(r"2\.25\.(0|[1-9][0-9]*)", uid), uid


def test_uid_is_the_documented_hmac(pseudonymizer):
    digest = hmac.new(b"site-secret", b"uid:1.2.3.4", hashlib.sha256).digest()

    assert pseudonymizer.uid("1.2.3.4") == "2.25." + str(int.from_bytes(digest[:16], "big"))


def test_a_different_key_gives_different_pseudonyms(pseudonymizer):
    other = Pseudonymizer(b"another-site")

    assert other.uid("1.2.3.4") != pseudonymizer.uid("1.2.3.4")
    assert other.patient_pseudonym("MRN1") != pseudonymizer.patient_pseudonym("MRN1")
    assert other.hash_identifier("ACC1") != pseudonymizer.hash_identifier("ACC1")


def test_date_shift_is_one_nonzero_value_per_patient_within_two_years(pseudonymizer):
    shifts = [pseudonymizer.date_shift_days(f"MRN{n}") for n in range(500)]

    assert shifts == [pseudonymizer.date_shift_days(f"MRN{n}") for n in range(500)]
    assert all(-730 <= shift <= -30 for shift in shifts)
    # Spread over the range, so two patients rarely share a shift.
    assert len(set(shifts)) > 250


def test_patient_pseudonym_and_case_id_have_their_formats(pseudonymizer):
    assert re.fullmatch("P-" + CROCKFORD_10, pseudonymizer.patient_pseudonym("MRN1"))
    assert re.fullmatch("CMR-" + CROCKFORD_10, pseudonymizer.case_id("1.2.3"))
    assert len(pseudonymizer.case_id("1.2.3")) <= 16  # fits Study ID (SH)


def test_purposes_are_domain_separated(pseudonymizer):
    value = "1.2.840.113619.2.1"

    assert pseudonymizer.patient_pseudonym(value)[2:] != pseudonymizer.case_id(value)[4:]
    plain = hmac.new(b"site-secret", value.encode(), hashlib.sha256).hexdigest()
    assert pseudonymizer.hash_identifier(value) != plain
    assert pseudonymizer.hash_identifier(value)[:32] != f"{int(pseudonymizer.uid(value)[5:]):032x}"


def test_hash_identifier_ignores_surrounding_whitespace(pseudonymizer):
    assert pseudonymizer.hash_identifier(" ACC123 ") == pseudonymizer.hash_identifier("ACC123")
    assert pseudonymizer.hash_identifier("ACC123") != pseudonymizer.hash_identifier("ACC124")
    assert re.fullmatch("[0-9a-f]{64}", pseudonymizer.hash_identifier("ACC123"))


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError):
        Pseudonymizer("")
