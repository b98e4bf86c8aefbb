"""Seeded, stratified samples of cases (pure): reproducible, proportional or equal per stratum."""

import random

import pytest

from cmr_reader.studies.case_sampling import (
    EQUAL,
    PROPORTIONAL,
    draw_sample,
    equal_allocation,
    plan_strata,
    proportional_allocation,
)

SEEDS = (0, 1, 7, 2024, 2**31 - 1)
SIZES = (1, 5, 17, 50, 99)


def strata_of(sizes: dict[str, int], *, first_id: int = 1) -> dict[int, str]:
    """Case ids first_id, first_id + 1, ... in stratum order."""
    strata, case_id = {}, first_id
    for stratum, count in sizes.items():
        for _n in range(count):
            strata[case_id] = stratum
            case_id += 1
    return strata


RARE_HCM = {"hcm": 7, "normal": 60, "dcm": 23, "unstated": 10}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_a_sample_is_drawn_again_from_its_seed(seed, size):
    strata = strata_of(RARE_HCM)
    shuffled = list(strata.items())
    random.Random(seed).shuffle(shuffled)

    first = draw_sample(strata, size=size, seed=seed, allocation=PROPORTIONAL)
    again = draw_sample(dict(shuffled), size=size, seed=seed, allocation=PROPORTIONAL)

    assert first == again  # the same seed gives the same cases, whatever order they came in
    assert len(first.case_ids) == size and len(set(first.case_ids)) == size


def test_different_seeds_draw_different_samples():
    strata = strata_of(RARE_HCM)
    samples = {draw_sample(strata, size=20, seed=seed, allocation=PROPORTIONAL).case_ids for seed in SEEDS}
    assert len(samples) == len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_a_stratified_sample_is_proportional_within_one_case_per_stratum(seed, size):
    strata = strata_of(RARE_HCM)
    total = sum(RARE_HCM.values())

    sample = draw_sample(strata, size=size, seed=seed, allocation=PROPORTIONAL)

    chosen = {draw.stratum: draw.chosen for draw in sample.strata}
    assert sum(chosen.values()) == size
    for stratum, available in RARE_HCM.items():
        assert abs(chosen[stratum] - size * available / total) < 1, (stratum, chosen)
        drawn = [case_id for case_id in sample.case_ids if strata[case_id] == stratum]
        assert len(drawn) == chosen[stratum] <= available


def test_the_largest_remainders_get_the_cases_left_over():
    # Quotas 2.5, 1.5 and 1.0: the two halves tie, and the larger stratum wins the tie.
    assert proportional_allocation({"a": 5, "b": 3, "c": 2}, 5) == {"a": 3, "b": 1, "c": 1}
    # Quotas 1.8, 0.9 and 0.3: integer parts 1, 0, 0, then the remainders .9 and .8.
    assert proportional_allocation({"a": 6, "b": 3, "c": 1}, 3) == {"a": 2, "b": 1, "c": 0}


def test_equal_allocation_caps_a_small_stratum_at_its_size_and_shares_the_rest():
    allocation = equal_allocation({"hcm": 3, "normal": 50, "dcm": 20}, 30)

    assert allocation == {"hcm": 3, "dcm": 14, "normal": 13}


@pytest.mark.parametrize("size", (3, 10, 31, 64, 100, 500))
def test_equal_allocation_never_takes_more_than_a_stratum_has(size):
    allocation = equal_allocation(RARE_HCM, size)

    assert sum(allocation.values()) == min(size, sum(RARE_HCM.values()))
    assert all(allocation[stratum] <= available for stratum, available in RARE_HCM.items())
    # Strata that are not exhausted are within one case of each other.
    open_counts = [allocation[s] for s, available in RARE_HCM.items() if allocation[s] < available]
    assert not open_counts or max(open_counts) - min(open_counts) <= 1


def test_an_equal_sample_enriches_the_rare_stratum():
    strata = strata_of(RARE_HCM)

    proportional = {d.stratum: d.chosen for d in plan_strata(strata, size=20, allocation=PROPORTIONAL)}
    equal = {d.stratum: d.chosen for d in plan_strata(strata, size=20, allocation=EQUAL)}

    assert proportional["hcm"] == 1 and equal["hcm"] == 5


def test_a_sample_larger_than_the_cases_takes_them_all():
    strata = strata_of({"hcm": 2, "normal": 3})

    for allocation in (PROPORTIONAL, EQUAL):
        sample = draw_sample(strata, size=10, seed=1, allocation=allocation)
        assert sample.case_ids == (1, 2, 3, 4, 5)
    assert draw_sample(strata, size=None, seed=1, allocation=PROPORTIONAL).case_ids == (1, 2, 3, 4, 5)


def test_a_stratum_draws_the_same_cases_when_another_stratum_changes():
    # Each stratum has its own generator: more "normal" cases must not change which HCM cases
    # a seed picks, when the HCM stratum gives the same number.
    before = strata_of({"hcm": 10, "normal": 10})
    after = {**before, **{case_id: "normal" for case_id in range(100, 140)}}

    hcm_before = [
        c for c in draw_sample(before, size=6, seed=3, allocation=EQUAL).case_ids if before[c] == "hcm"
    ]
    hcm_after = [
        c for c in draw_sample(after, size=6, seed=3, allocation=EQUAL).case_ids if after[c] == "hcm"
    ]

    assert len(hcm_before) == 3 and hcm_before == hcm_after


def test_an_unknown_allocation_is_refused():
    with pytest.raises(ValueError):
        draw_sample({1: "all"}, size=1, seed=1, allocation="optimal")
