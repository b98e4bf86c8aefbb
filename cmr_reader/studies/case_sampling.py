"""Drawing a seeded, optionally stratified sample of cases (pure: no database).

A sample is reproducible from its seed alone: cases are sorted by id inside each stratum before a
seeded shuffle, and each stratum has its own generator, seeded from the seed and the stratum's
name, so a stratum's cases do not change when another stratum grows or shrinks.
"""

import zlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PROPORTIONAL = "proportional"
EQUAL = "equal"
ALLOCATIONS = (PROPORTIONAL, EQUAL)


@dataclass(frozen=True)
class StratumDraw:
    stratum: str
    available: int  # cases of the stratum that could be drawn
    chosen: int

    def as_json(self) -> dict:
        return {"stratum": self.stratum, "available": self.available, "chosen": self.chosen}


@dataclass(frozen=True)
class Sample:
    case_ids: tuple[int, ...]  # ascending
    strata: tuple[StratumDraw, ...]  # by stratum name


def proportional_allocation(sizes: Mapping[str, int], total: int) -> dict[str, int]:
    """Hamilton's largest-remainder method: stratum s of n_s cases (N in all) gets the integer part
    of total * n_s / N, and the cases left over go one each to the largest fractional parts
    (ties: the larger stratum, then the name). Exact integer arithmetic; never more than n_s,
    since a quota below n_s rounds up to at most n_s."""
    available = sum(sizes.values())
    total = min(total, available)
    if total <= 0:
        return dict.fromkeys(sizes, 0)
    allocation = {key: total * size // available for key, size in sizes.items()}
    remainders = sorted(sizes, key=lambda key: (-(total * sizes[key] % available), -sizes[key], key))
    for key in remainders[: total - sum(allocation.values())]:
        allocation[key] += 1
    return allocation


def equal_allocation(sizes: Mapping[str, int], total: int) -> dict[str, int]:
    """The same number from every stratum (to enrich rare ones), a stratum smaller than its share
    giving all it has and the rest shared among the others; a share that does not divide evenly
    goes one case each to the strata first by name."""
    allocation = dict.fromkeys(sizes, 0)
    remaining = min(total, sum(sizes.values()))
    while remaining > 0:
        open_strata = sorted(key for key in sizes if allocation[key] < sizes[key])
        share = remaining // len(open_strata)
        if share == 0:
            # Every open stratum has the same count here (none was ever capped), so one more
            # each to the first by name keeps them within one of each other.
            for key in open_strata[:remaining]:
                allocation[key] += 1
            break
        for key in open_strata:
            extra = min(share, sizes[key] - allocation[key])
            allocation[key] += extra
            remaining -= extra
    return allocation


def stratum_rng(seed: int, stratum: str) -> np.random.Generator:
    """The generator of one stratum: seeded from the sample's seed and the stratum's name."""
    return np.random.default_rng([seed, zlib.crc32(stratum.encode("utf-8"))])


def plan_strata(strata: Mapping[int, str], *, size: int | None, allocation: str) -> tuple[StratumDraw, ...]:
    """How many cases each stratum gives (by stratum name); the seed plays no part in this.
    ``strata`` maps each case id that may be drawn to its stratum; ``size`` None takes all."""
    if allocation not in ALLOCATIONS:
        raise ValueError(f"unknown allocation {allocation!r}")
    sizes: dict[str, int] = defaultdict(int)
    for stratum in strata.values():
        sizes[stratum] += 1
    wanted = sum(sizes.values()) if size is None else size
    counts = (proportional_allocation if allocation == PROPORTIONAL else equal_allocation)(sizes, wanted)
    return tuple(StratumDraw(stratum=key, available=sizes[key], chosen=counts[key]) for key in sorted(sizes))


def draw_sample(strata: Mapping[int, str], *, size: int | None, seed: int, allocation: str) -> Sample:
    """A sample of the case ids in ``strata`` (case id -> stratum name, one name for all when not
    stratified): ``plan_strata`` says how many from each stratum, and a seeded shuffle of the
    stratum's ids, in ascending order, which ones. ``size`` None, or at least the number of
    cases, takes every case."""
    members: dict[str, list[int]] = defaultdict(list)
    for case_id, stratum in strata.items():
        members[stratum].append(case_id)
    plan = plan_strata(strata, size=size, allocation=allocation)
    chosen: list[int] = []
    for draw in plan:
        ids = sorted(members[draw.stratum])
        order = stratum_rng(seed, draw.stratum).permutation(len(ids))
        chosen += (ids[i] for i in order[: draw.chosen])
    return Sample(case_ids=tuple(sorted(chosen)), strata=plan)
