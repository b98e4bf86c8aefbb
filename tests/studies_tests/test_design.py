"""The reader-study design: overlap, balanced workload, random order, counterbalanced sides,
washout repeats, validation and the coordinator's summary."""

import math
import time
from collections import Counter, defaultdict
from dataclasses import replace

import pytest

from cmr_reader.studies.design import (
    AI_ON_A,
    AI_ON_B,
    BALANCED,
    BIG_STICK,
    SIDE_IMBALANCE_BOUND,
    DesignError,
    DesignSpec,
    PlannedRead,
    counting_guesses,
    design_study,
    repeat_count,
    summarise_design,
)


def spec(
    *,
    cases=60,
    readers=5,
    readers_per_case=2,
    overlap=6,
    seed=7,
    washout_fraction=0.0,
    washout_days=0,
    side_scheme=BIG_STICK,
):
    # Case ids that are neither 0-based nor contiguous, as database primary keys are not.
    return DesignSpec(
        case_ids=tuple(1000 + 3 * i for i in range(cases)),
        reader_ids=tuple(50 + 7 * i for i in range(readers)),
        readers_per_case=readers_per_case,
        overlap_count=overlap,
        seed=seed,
        washout_fraction=washout_fraction,
        washout_days=washout_days,
        side_scheme=side_scheme,
    )


# A grid of specs, odd and even counts, with and without overlap and washout, for the invariants.
SPECS = [
    spec(
        cases=c,
        readers=r,
        readers_per_case=k,
        overlap=o,
        seed=s,
        washout_fraction=w,
        washout_days=14 if w else 0,
    )
    for c, r, k, o in [
        (1, 1, 1, 0),
        (1, 4, 1, 0),
        (7, 3, 2, 2),
        (25, 4, 3, 5),
        (60, 5, 2, 6),
        (101, 7, 3, 11),
        (40, 6, 6, 0),
        (9, 3, 1, 9),
    ]
    for s in (1, 2, 3)
    for w in (0.0, 0.25, 1.0)
]
# The same grid with the sides of studies designed before the big stick.
BALANCED_SPECS = [replace(s, side_scheme=BALANCED) for s in SPECS]


def first_reads(reads):
    return [read for read in reads if not read.is_repeat]


def by_reader(reads):
    grouped = defaultdict(list)
    for read in reads:
        grouped[read.reader_id].append(read)
    return grouped


def by_case(reads):
    grouped = defaultdict(list)
    for read in reads:
        grouped[read.case_id].append(read)
    return grouped


def side_imbalance(reads):
    sides = Counter(read.ai_slot for read in reads)
    return abs(sides[AI_ON_A] - sides[AI_ON_B])


# Reproducibility


def test_the_same_spec_gives_the_same_design():
    study = spec(washout_fraction=0.2, washout_days=14)

    assert design_study(study) == design_study(study)


def test_a_different_seed_gives_a_different_design():
    assert design_study(spec(seed=1)) != design_study(spec(seed=2))


def test_a_different_seed_changes_cases_order_and_sides_each():
    one, two = design_study(spec(seed=1)), design_study(spec(seed=2))

    assert {r.case_id for r in one if r.is_overlap} != {r.case_id for r in two if r.is_overlap}
    assert [(r.reader_id, r.case_id) for r in one] != [(r.reader_id, r.case_id) for r in two]
    assert {(r.reader_id, r.case_id, r.ai_slot) for r in one} != {
        (r.reader_id, r.case_id, r.ai_slot) for r in two
    }


def test_washout_settings_leave_the_first_reads_unchanged():
    without = design_study(spec())
    with_repeats = design_study(spec(washout_fraction=0.3, washout_days=21))

    assert first_reads(with_repeats) == without
    assert len(with_repeats) > len(without)


def test_the_design_does_not_touch_the_global_random_state():
    import random

    random.seed(123)
    expected = random.random()
    random.seed(123)
    design_study(spec(washout_fraction=0.5, washout_days=7))

    assert random.random() == expected


# Overlap and case coverage


@pytest.mark.parametrize("study", SPECS)
def test_overlap_cases_are_read_by_every_reader_and_the_rest_by_readers_per_case(study):
    reads = first_reads(design_study(study))
    readers = by_case(reads)

    overlap_cases = {r.case_id for r in reads if r.is_overlap}
    assert len(overlap_cases) == study.overlap_count
    assert set(readers) == set(study.case_ids)
    for case_id, case_reads in readers.items():
        reader_ids = [r.reader_id for r in case_reads]
        assert len(reader_ids) == len(set(reader_ids)), "a reader reads a case twice as a first read"
        expected = len(study.reader_ids) if case_id in overlap_cases else study.readers_per_case
        assert len(set(reader_ids)) == expected
        assert {r.is_overlap for r in case_reads} == {case_id in overlap_cases}


def test_the_overlap_is_drawn_at_random_not_taken_from_the_front():
    overlaps = [{r.case_id for r in design_study(spec(seed=seed)) if r.is_overlap} for seed in range(5)]

    assert len({frozenset(o) for o in overlaps}) == 5
    assert overlaps[0] != set(spec().case_ids[:6])


def test_an_overlap_of_every_case_means_every_reader_reads_everything():
    study = spec(cases=12, readers=4, readers_per_case=1, overlap=12)
    reads = design_study(study)

    assert len(reads) == 48
    assert all(r.is_overlap for r in reads)


def test_no_overlap_means_no_read_is_flagged_overlap():
    assert not any(r.is_overlap for r in design_study(spec(overlap=0)))


def test_the_number_of_first_reads_is_overlap_for_all_plus_readers_per_case_for_the_rest():
    study = spec(cases=101, readers=7, readers_per_case=3, overlap=11)

    assert len(design_study(study)) == 11 * 7 + 90 * 3


# Workload


@pytest.mark.parametrize("study", SPECS)
def test_first_read_counts_differ_by_at_most_one_between_readers(study):
    counts = Counter(r.reader_id for r in first_reads(design_study(study)))
    loads = [counts[reader_id] for reader_id in study.reader_ids]

    assert max(loads) - min(loads) <= 1


def test_pairs_of_readers_vary_rather_than_repeating_one_rotation():
    reads = design_study(spec(cases=200, readers=6, readers_per_case=2, overlap=0))
    pairs = {tuple(sorted(r.reader_id for r in case_reads)) for case_reads in by_case(reads).values()}

    assert len(pairs) == 15  # all 6-choose-2 pairs occur


# Order


@pytest.mark.parametrize("study", SPECS)
def test_positions_run_from_zero_without_gaps_and_repeats_come_last(study):
    for reads in by_reader(design_study(study)).values():
        assert [r.position for r in reads] == list(range(len(reads)))
        flags = [r.is_repeat for r in reads]
        assert flags == sorted(flags)


def test_overlap_cases_are_interleaved_with_the_others():
    study = spec(cases=100, readers=4, readers_per_case=2, overlap=10)

    for reads in by_reader(design_study(study)).values():
        positions = [r.position for r in reads if r.is_overlap]
        assert positions != list(range(10))
        assert max(positions) > len(reads) // 2


def test_each_reader_reads_the_shared_cases_in_an_own_order():
    study = spec(cases=40, readers=4, readers_per_case=4, overlap=40)
    orders = [tuple(r.case_id for r in reads) for reads in by_reader(design_study(study)).values()]

    assert len(set(orders)) == 4
    assert tuple(study.case_ids) not in orders


def test_repeats_come_in_their_own_random_order():
    study = spec(cases=100, readers=4, readers_per_case=4, overlap=100, washout_fraction=1.0, washout_days=7)

    for reads in by_reader(design_study(study)).values():
        first = [r.case_id for r in reads if not r.is_repeat]
        repeated = [r.case_id for r in reads if r.is_repeat]
        assert sorted(first) == sorted(repeated)
        assert first != repeated
        repeat_slots = [r.ai_slot for r in reads if r.is_repeat]
        assert repeat_slots not in (sorted(repeat_slots), sorted(repeat_slots, reverse=True))


# Sides


@pytest.mark.parametrize("study", BALANCED_SPECS)
def test_balanced_sides_put_the_ai_on_each_side_equally_often_within_one_per_reader(study):
    reads = design_study(study)

    for reader_reads in by_reader(reads).values():
        assert side_imbalance(first_reads(reader_reads)) <= 1
        assert side_imbalance([r for r in reader_reads if r.is_repeat]) <= 1
        assert side_imbalance(reader_reads) <= 1


@pytest.mark.parametrize("study", BALANCED_SPECS)
def test_balanced_sides_put_the_ai_on_each_side_equally_often_within_one_per_case(study):
    for case_reads in by_case(first_reads(design_study(study))).values():
        assert side_imbalance(case_reads) <= 1


def test_sides_do_not_simply_alternate_with_position():
    study = spec(cases=80, readers=3, readers_per_case=3, overlap=80)

    for reads in by_reader(design_study(study)).values():
        slots = [r.ai_slot for r in reads]
        assert any(a == b for a, b in zip(slots, slots[1:], strict=False))


def test_each_reader_and_case_gets_the_ai_on_a_about_half_the_time_across_seeds():
    # Every reader reads every case, so only the sides change with the seed.
    seeds = range(200)
    on_a = Counter()
    for seed in seeds:
        for read in design_study(spec(cases=6, readers=4, readers_per_case=4, overlap=6, seed=seed)):
            on_a[read.reader_id, read.case_id] += read.ai_slot == AI_ON_A

    assert len(on_a) == 24
    assert all(60 <= count <= 140 for count in on_a.values()), on_a


def test_two_readers_of_an_overlap_case_do_not_always_see_the_same_side():
    study = spec(cases=30, readers=2, readers_per_case=2, overlap=30, side_scheme=BALANCED)
    reads = design_study(study)

    for case_reads in by_case(reads).values():
        assert {r.ai_slot for r in case_reads} == {AI_ON_A, AI_ON_B}  # two readers, within one


def test_with_the_big_stick_two_readers_of_a_case_see_it_on_independent_sides():
    study = spec(cases=400, readers=2, readers_per_case=2, overlap=400)
    same = sum(
        len({r.ai_slot for r in case_reads}) == 1 for case_reads in by_case(design_study(study)).values()
    )

    assert 160 <= same <= 240  # about half, as for two fair coins


def walk(reads):
    """The reader's imbalance (AI on A minus on B) after each read, in position order."""
    steps, total = [], 0
    for read in sorted(reads, key=lambda r: r.position):
        total += 1 if read.ai_slot == AI_ON_A else -1
        steps.append(total)
    return steps


@pytest.mark.parametrize("study", SPECS)
def test_the_big_stick_keeps_every_reader_within_its_bound_at_every_point(study):
    for reader_reads in by_reader(design_study(study)).values():
        first = walk(first_reads(reader_reads))
        assert max(map(abs, first)) <= SIDE_IMBALANCE_BOUND
        if study.washout_fraction < 1:
            # With some first reads left unrepeated the repeats can always follow the walk.
            assert max(map(abs, walk(reader_reads))) <= SIDE_IMBALANCE_BOUND


def test_a_reader_who_counts_sides_guesses_about_half_with_the_big_stick_and_the_last_one_by_chance():
    """Blackwell and Hodges' convergence strategy over many seeds: the balanced scheme gives the
    last side away every time (its total is balanced within one); the big stick does not."""
    last_right = {BALANCED: 0, BIG_STICK: 0}
    rates = {BALANCED: [], BIG_STICK: []}
    seeds = range(300)
    for seed in seeds:
        for scheme in (BALANCED, BIG_STICK):
            reads = design_study(
                spec(cases=40, readers=1, readers_per_case=1, overlap=0, seed=seed, side_scheme=scheme)
            )
            steps = walk(reads)
            rates[scheme].append(counting_guesses(steps) / len(steps))
            before = steps[-2]
            last_right[scheme] += (before != 0) and ((steps[-1] > before) == (before < 0))

    assert last_right[BALANCED] == len(seeds)  # 40 reads, 20 a side: the last is always the missing one
    assert last_right[BIG_STICK] < 0.6 * len(seeds)
    assert 0.5 <= sum(rates[BIG_STICK]) / len(seeds) < 0.6


def test_counting_guesses_follows_the_convergence_strategy_by_hand():
    # Sides A, A, B, B, B: imbalances 1, 2, 1, 0, -1. Guesses: either (0.5), B (wrong), B (right),
    # B (right), either (0.5).
    assert counting_guesses([1, 2, 1, 0, -1]) == 3.0


# Washout repeats


@pytest.mark.parametrize("study", [s for s in SPECS if s.washout_fraction > 0])
def test_repeats_are_a_rounded_share_of_each_readers_first_reads_on_the_other_side(study):
    for reads in by_reader(design_study(study)).values():
        first = {r.case_id: r for r in reads if not r.is_repeat}
        repeats = [r for r in reads if r.is_repeat]

        assert len(repeats) == round(study.washout_fraction * len(first))
        assert len({r.case_id for r in repeats}) == len(repeats)
        for repeat in repeats:
            original = first[repeat.case_id]
            assert repeat.ai_slot != original.ai_slot
            assert repeat.is_overlap == original.is_overlap
            assert repeat.delay_days == study.washout_days
            assert original.delay_days == 0


def test_no_washout_means_no_repeats():
    assert not any(r.is_repeat for r in design_study(spec(washout_fraction=0.0, washout_days=30)))


def test_a_full_washout_repeats_every_first_read():
    study = spec(washout_fraction=1.0, washout_days=28)
    reads = design_study(study)

    assert len(reads) == 2 * len(first_reads(reads))


def test_the_repeated_cases_are_a_seeded_random_choice():
    def repeated(seed):
        return {
            (r.reader_id, r.case_id)
            for r in design_study(spec(seed=seed, washout_fraction=0.2, washout_days=14))
            if r.is_repeat
        }

    assert repeated(1) == repeated(1)
    assert repeated(1) != repeated(2)


def test_repeat_count_uses_pythons_round():
    assert repeat_count(first_reads=24, washout_fraction=0.1) == 2
    assert repeat_count(first_reads=5, washout_fraction=0.5) == 2  # halves round to even
    assert repeat_count(first_reads=7, washout_fraction=0.5) == 4
    assert repeat_count(first_reads=30, washout_fraction=0.1) == 3  # 3.0000000000000004


# Validation


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reader_ids": ()}, "no readers"),
        ({"case_ids": ()}, "no cases"),
        ({"reader_ids": (1, 2, 2, 3, 3)}, "reader ids appear more than once: 2, 3"),
        ({"case_ids": (4, 5, 4)}, "case ids appear more than once: 4"),
        ({"readers_per_case": 0}, "readers per case must be at least 1"),
        ({"readers_per_case": 6}, r"readers per case \(6\) exceeds the number of readers \(5\)"),
        ({"overlap_count": -1}, "overlap must be 0 or more"),
        ({"overlap_count": 61}, r"overlap \(61 cases\) exceeds the number of cases \(60\)"),
        ({"washout_fraction": -0.1, "washout_days": 7}, "washout share must be between 0 and 1"),
        ({"washout_fraction": 1.5, "washout_days": 7}, "washout share must be between 0 and 1"),
        ({"washout_fraction": math.nan, "washout_days": 7}, "washout share must be between 0 and 1"),
        ({"washout_days": -1}, "washout days must be 0 or more"),
        ({"washout_fraction": 0.2, "washout_days": 0}, "washout of at least 1 day"),
    ],
)
def test_an_impossible_spec_is_refused_with_a_message_naming_the_problem(changes, message):
    with pytest.raises(DesignError, match=message):
        design_study(replace(spec(), **changes))


def test_a_design_error_is_a_value_error_listing_every_problem():
    with pytest.raises(ValueError) as caught:
        design_study(replace(spec(), reader_ids=(), overlap_count=99, washout_days=-2))

    assert len(caught.value.problems) == 3
    assert "no readers" in str(caught.value) and "overlap" in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"readers_per_case": 5},
        {"overlap_count": 60},
        {"overlap_count": 0},
        {"washout_fraction": 1.0, "washout_days": 1},
        {"washout_fraction": 0.0, "washout_days": 0},
    ],
)
def test_specs_at_the_limits_are_accepted(changes):
    assert design_study(replace(spec(), **changes))


def test_a_reader_may_get_no_case_when_there_are_fewer_reads_than_readers():
    study = spec(cases=1, readers=4, readers_per_case=1, overlap=0)
    reads = design_study(study)

    assert len(reads) == 1
    assert summarise_design(reads, reader_ids=study.reader_ids).workload_spread == 1


# Summary


def read(reader_id, case_id, position, ai_slot, *, repeat=False, overlap=False):
    return PlannedRead(reader_id, case_id, position, ai_slot, repeat, overlap, 14 if repeat else 0)


def test_the_summary_counts_each_readers_reads_and_each_cases_readers():
    alice, bob = 1, 2
    reads = [
        read(alice, 10, 0, AI_ON_A, overlap=True),
        read(alice, 11, 1, AI_ON_A),
        read(alice, 12, 2, AI_ON_A),
        read(alice, 11, 3, AI_ON_B, repeat=True),
        read(bob, 10, 0, AI_ON_B, overlap=True),
    ]

    summary = summarise_design(reads)

    assert summary.readers[alice].total == 4
    assert summary.readers[alice].first_reads == 3
    assert summary.readers[alice].repeats == 1
    assert summary.readers[alice].overlap == 1
    assert (summary.readers[alice].ai_on_a, summary.readers[alice].ai_on_b) == (3, 1)
    assert summary.readers[bob].total == 1 and summary.readers[bob].ai_on_b == 1
    assert summary.readers_per_case == {10: 2, 11: 1, 12: 1}
    assert (summary.total_reads, summary.first_reads, summary.repeats) == (5, 4, 1)
    assert summary.overlap_cases == 1
    assert summary.max_side_imbalance == 2
    assert summary.workload_spread == 2


def test_the_summary_shows_readers_without_reads_when_told_who_they_are():
    summary = summarise_design([read(1, 10, 0, AI_ON_A)], reader_ids=(1, 2, 3))

    assert list(summary.readers) == [1, 2, 3]
    assert summary.readers[3].total == 0
    assert summary.workload_spread == 1


def test_the_summary_of_nothing_is_all_zeros():
    summary = summarise_design([])

    assert summary.readers == {} and summary.readers_per_case == {}
    assert (summary.total_reads, summary.max_side_imbalance, summary.workload_spread) == (0, 0, 0)


def test_the_summary_of_a_design_shows_its_guarantees():
    study = spec(cases=101, readers=7, readers_per_case=3, overlap=11, washout_fraction=0.1, washout_days=14)
    reads = design_study(study)

    summary = summarise_design(reads, reader_ids=study.reader_ids)

    assert list(summary.readers) == list(study.reader_ids)
    assert summary.total_reads == len(reads)
    assert summary.overlap_cases == 11
    assert sorted(Counter(summary.readers_per_case.values()).items()) == [(3, 90), (7, 11)]
    assert summary.max_running_imbalance <= SIDE_IMBALANCE_BOUND
    assert summary.max_side_imbalance <= summary.max_running_imbalance
    assert 0.4 < summary.counting_guess_rate < 0.65
    assert summary.workload_spread <= 1
    assert all(counts.overlap == 11 for counts in summary.readers.values())


# Scale


def test_twenty_thousand_cases_for_ten_readers_design_quickly_and_correctly():
    study = DesignSpec(
        case_ids=tuple(range(1, 20_001)),
        reader_ids=tuple(range(1, 11)),
        readers_per_case=3,
        overlap_count=200,
        seed=2024,
        washout_fraction=0.1,
        washout_days=14,
    )

    started = time.perf_counter()
    reads = design_study(study)
    elapsed = time.perf_counter() - started

    summary = summarise_design(reads, reader_ids=study.reader_ids)
    assert summary.first_reads == 200 * 10 + 19_800 * 3
    assert summary.workload_spread <= 1
    assert summary.max_running_imbalance <= SIDE_IMBALANCE_BOUND
    assert set(summary.readers_per_case.values()) == {3, 10}
    assert elapsed < 10, f"{elapsed:.1f} s"
