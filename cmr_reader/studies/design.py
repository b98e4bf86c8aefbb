"""The assignment design of a blinded reader study: who reads which case, in which order, and on
which side (A or B) each reader sees the AI report.

Pure standard library, no Django: the coordinator's preview, the service that writes the
assignments and the tests all call ``design_study`` on a plain ``DesignSpec``. Every random choice
comes from one ``random.Random(spec.seed)`` drawn in a fixed order, so a stored seed (with the
stored side scheme) regenerates the exact design for an audit. The washout draws come last, so
changing only the washout settings leaves every first read (reader, case, position, side) as it was.

The design, step by step:

1. ``overlap_count`` cases, sampled, are read by every reader (for agreement statistics).
2. Every other case goes, in the spec's case order, to the ``readers_per_case`` least-loaded
   readers, ties broken at random. Loads then only ever take two neighbouring values, so first-read
   counts differ by at most one between readers.
3. Each reader's first reads are shuffled on their own, so overlap cases fall anywhere in the list.
4. Sides, by the study's scheme:
   ``big_stick`` (the default): along each reader's list, the side of the AI report is a fair coin
   unless the reader's imbalance (AI on A minus AI on B so far) has reached
   ``SIDE_IMBALANCE_BOUND``, when the other side is forced (Soares and Wu's big stick design,
   1983). A reader who counts sides learns almost nothing, not even for the last cases of the
   list, and no reader is ever more than the bound out of balance
   (docs/decisions/0014-side-randomisation.md gives the figures).
   ``balanced`` (studies designed before it): an equitable two-colouring of the reader-case graph
   (see ``_balanced_sides``) puts the AI on A for half of each reader's and each case's first reads,
   both within one; exact balance lets a reader who counts predict the last case.
5. Washout repeats follow all first reads, in random order, with the AI on the other side.
"""

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

AI_ON_A = "A"
AI_ON_B = "B"
BIG_STICK, BALANCED = "big_stick", "balanced"
SIDE_SCHEMES = (BIG_STICK, BALANCED)
# The big stick's bound: a coin flip while a reader's |AI on A - AI on B| is below it. Even, so
# that a reader's final imbalance does not tell the last side by its parity.
SIDE_IMBALANCE_BOUND = 4


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (makemessages looks for this name) without
    Django: the page that shows a problem translates it (``Problem.message``)."""
    return message


@dataclass(frozen=True)
class Problem:
    """One reason a spec cannot be designed: a catalogue message and its values."""

    message: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return self.message % dict(self.values)


class DesignError(ValueError):
    """A spec no design can satisfy; ``problems`` lists every reason, in words for a coordinator
    (English); ``reasons`` the same as ``Problem``s, for a page to show in the reader's language."""

    def __init__(self, problems: Sequence[Problem]):
        self.reasons = tuple(problems)
        self.problems = tuple(str(problem) for problem in self.reasons)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class DesignSpec:
    case_ids: tuple[int, ...]  # distinct; the design depends on this order, so pass a stable one
    reader_ids: tuple[int, ...]  # distinct
    readers_per_case: int  # distinct readers of each case outside the overlap
    overlap_count: int  # cases read by every reader
    seed: int
    washout_fraction: float = 0.0  # share of each reader's first reads shown again later
    washout_days: int = 0  # days after the first reads before a repeat becomes available
    side_scheme: str = BIG_STICK  # BIG_STICK, or BALANCED for studies designed before it


@dataclass(frozen=True)
class PlannedRead:
    reader_id: int
    case_id: int
    position: int  # 0-based in this reader's list; repeats come after all first reads
    ai_slot: str  # AI_ON_A or AI_ON_B
    is_repeat: bool
    is_overlap: bool
    delay_days: int  # 0 for first reads, washout_days for repeats


@dataclass(frozen=True)
class ReaderCounts:
    total: int
    first_reads: int
    repeats: int
    overlap: int  # first reads of overlap cases
    ai_on_a: int  # over all of the reader's reads, repeats included
    ai_on_b: int
    largest_running_imbalance: int = 0  # largest |AI on A - AI on B| at any point of the list

    @property
    def side_imbalance(self) -> int:
        return abs(self.ai_on_a - self.ai_on_b)


@dataclass(frozen=True)
class DesignSummary:
    """What a coordinator checks in the preview before assigning."""

    readers: dict[int, ReaderCounts]  # reader id -> counts
    readers_per_case: dict[int, int]  # case id -> distinct readers
    total_reads: int
    first_reads: int
    repeats: int
    overlap_cases: int
    max_side_imbalance: int  # largest |ai_on_a - ai_on_b| of any reader
    max_running_imbalance: int  # largest |ai_on_a - ai_on_b| of any reader at any point of the list
    counting_guess_rate: float  # share of sides a reader who counts would guess (0.5 is chance)
    workload_spread: int  # most minus fewest first reads of any reader


def opposite_slot(slot: str) -> str:
    return AI_ON_B if slot == AI_ON_A else AI_ON_A


def repeat_count(*, first_reads: int, washout_fraction: float) -> int:
    """How many of a reader's first reads come back as repeats: Python's ``round``, which rounds
    halves to even (2.5 -> 2, 3.5 -> 4)."""
    return round(washout_fraction * first_reads)


def spec_problems(spec: DesignSpec) -> list[Problem]:
    """Every reason ``spec`` cannot be designed; empty when it can."""
    problems = []

    def problem(message: str, **values: object) -> None:
        problems.append(Problem(message, tuple(values.items())))

    if not spec.reader_ids:
        problem(gettext_noop("the study has no readers"))
    if not spec.case_ids:
        problem(gettext_noop("the study has no cases"))
    repeated_readers = sorted(i for i, n in Counter(spec.reader_ids).items() if n > 1)
    if repeated_readers:
        problem(
            gettext_noop("reader ids appear more than once: %(ids)s"),
            ids=", ".join(map(str, repeated_readers)),
        )
    repeated_cases = sorted(i for i, n in Counter(spec.case_ids).items() if n > 1)
    if repeated_cases:
        problem(
            gettext_noop("case ids appear more than once: %(ids)s"), ids=", ".join(map(str, repeated_cases))
        )
    readers = len(set(spec.reader_ids))
    if spec.readers_per_case < 1:
        problem(
            gettext_noop("readers per case must be at least 1, not %(value)s"), value=spec.readers_per_case
        )
    elif spec.reader_ids and spec.readers_per_case > readers:
        problem(
            gettext_noop("readers per case (%(value)s) exceeds the number of readers (%(readers)s)"),
            value=spec.readers_per_case,
            readers=readers,
        )
    cases = len(set(spec.case_ids))
    if spec.overlap_count < 0:
        problem(gettext_noop("the overlap must be 0 or more cases, not %(value)s"), value=spec.overlap_count)
    elif spec.overlap_count > cases:
        problem(
            gettext_noop("the overlap (%(value)s cases) exceeds the number of cases (%(cases)s)"),
            value=spec.overlap_count,
            cases=cases,
        )
    # Written so that NaN fails too.
    if not 0.0 <= spec.washout_fraction <= 1.0:
        problem(
            gettext_noop("the washout share must be between 0 and 1, not %(value)s"),
            value=spec.washout_fraction,
        )
    if spec.side_scheme not in SIDE_SCHEMES:
        problem(gettext_noop("unknown side scheme %(value)r"), value=spec.side_scheme)
    if spec.washout_days < 0:
        problem(gettext_noop("washout days must be 0 or more, not %(value)s"), value=spec.washout_days)
    elif spec.washout_fraction > 0 and spec.washout_days == 0:
        problem(gettext_noop("repeats need a washout of at least 1 day, or a washout share of 0"))
    return problems


def design_study(spec: DesignSpec) -> list[PlannedRead]:
    """Every read of the study, grouped by reader (in ``spec.reader_ids`` order) and in position
    order within a reader. Raises ``DesignError`` for an impossible spec."""
    problems = spec_problems(spec)
    if problems:
        raise DesignError(problems)
    rng = random.Random(spec.seed)
    overlap = frozenset(rng.sample(spec.case_ids, spec.overlap_count))
    cases_by_reader = _assign_cases(spec=spec, overlap=overlap, rng=rng)
    if spec.side_scheme == BALANCED:
        sides = _first_read_sides(cases_by_reader=cases_by_reader, case_ids=spec.case_ids, rng=rng)
        for cases in cases_by_reader:
            rng.shuffle(cases)
    else:
        for cases in cases_by_reader:
            rng.shuffle(cases)
        sides = [_big_stick_sides(cases, rng=rng) for cases in cases_by_reader]

    reads: list[PlannedRead] = []
    for reader_index, reader_id in enumerate(spec.reader_ids):
        cases, reader_sides = cases_by_reader[reader_index], sides[reader_index]
        reads.extend(
            PlannedRead(
                reader_id=reader_id,
                case_id=case_id,
                position=position,
                ai_slot=reader_sides[case_id],
                is_repeat=False,
                is_overlap=case_id in overlap,
                delay_days=0,
            )
            for position, case_id in enumerate(cases)
        )
        if spec.washout_fraction > 0:
            # Drawn last, reader by reader, so the washout settings never move a first read.
            count = repeat_count(first_reads=len(cases), washout_fraction=spec.washout_fraction)
            if spec.side_scheme == BALANCED:
                repeated = _choose_repeats(cases=cases, sides=reader_sides, count=count, rng=rng)
            else:
                repeated = _big_stick_repeats(cases=cases, sides=reader_sides, count=count, rng=rng)
            reads.extend(
                PlannedRead(
                    reader_id=reader_id,
                    case_id=case_id,
                    position=len(cases) + offset,
                    # The other side than the first read: a reader who remembers "I preferred A"
                    # cannot reproduce the preference by position, so agreement between first
                    # read and repeat reflects the reports' content, and side bias cancels out.
                    ai_slot=opposite_slot(reader_sides[case_id]),
                    is_repeat=True,
                    is_overlap=case_id in overlap,
                    delay_days=spec.washout_days,
                )
                for offset, case_id in enumerate(repeated)
            )
    return reads


def _big_stick_draw(imbalance: int, rng: random.Random) -> str:
    """The next side given the imbalance so far (AI on A minus AI on B): forced back at the bound,
    else a fair coin."""
    if imbalance >= SIDE_IMBALANCE_BOUND:
        return AI_ON_B
    if imbalance <= -SIDE_IMBALANCE_BOUND:
        return AI_ON_A
    return AI_ON_A if rng.random() < 0.5 else AI_ON_B


def _big_stick_sides(cases: Sequence[int], *, rng: random.Random) -> dict[int, str]:
    """Case id -> side of the AI report, drawn along one reader's reading order."""
    sides, imbalance = {}, 0
    for case_id in cases:
        sides[case_id] = _big_stick_draw(imbalance, rng)
        imbalance += 1 if sides[case_id] == AI_ON_A else -1
    return sides


def _big_stick_repeats(
    *, cases: list[int], sides: dict[int, str], count: int, rng: random.Random
) -> list[int]:
    """``count`` of a reader's first-read cases, in reading order, whose sides (opposite to their
    first reads) continue the reader's big-stick walk; a side whose cases are used up gives way."""
    imbalance = sum(1 if side == AI_ON_A else -1 for side in sides.values())
    # Cases by the side their repeat shows: the opposite of the first read.
    pools = {slot: [c for c in cases if sides[c] == opposite_slot(slot)] for slot in (AI_ON_A, AI_ON_B)}
    for pool in pools.values():
        rng.shuffle(pool)
    chosen = []
    for _ in range(count):
        slot = _big_stick_draw(imbalance, rng)
        if not pools[slot]:
            slot = opposite_slot(slot)
        chosen.append(pools[slot].pop())
        imbalance += 1 if slot == AI_ON_A else -1
    return chosen


def _assign_cases(*, spec: DesignSpec, overlap: frozenset[int], rng: random.Random) -> list[list[int]]:
    """Case ids per reader index: all overlap cases, plus each other case for the
    ``readers_per_case`` readers with the fewest cases so far (ties at random).

    Choosing the least loaded keeps every load within {m, m + 1}: readers at m are taken before
    any at m + 1, and when all at m are taken the new minimum is m + 1."""
    reader_count = len(spec.reader_ids)
    cases_by_reader = [
        [case_id for case_id in spec.case_ids if case_id in overlap] for _ in range(reader_count)
    ]
    loads = [0] * reader_count
    readers = range(reader_count)
    for case_id in spec.case_ids:
        if case_id in overlap:
            continue
        chosen = sorted(readers, key=lambda r: (loads[r], rng.random()))[: spec.readers_per_case]
        for reader_index in chosen:
            loads[reader_index] += 1
            cases_by_reader[reader_index].append(case_id)
    return cases_by_reader


def _first_read_sides(
    *, cases_by_reader: list[list[int]], case_ids: Sequence[int], rng: random.Random
) -> list[dict[int, str]]:
    """Per reader index, case id -> the side of the AI report on the first read."""
    reader_count = len(cases_by_reader)
    case_vertex = {case_id: reader_count + index for index, case_id in enumerate(case_ids)}
    edges = [(r, case_vertex[c]) for r, cases in enumerate(cases_by_reader) for c in cases]
    on_a = _balanced_sides(edges=edges, vertex_count=reader_count + len(case_ids), rng=rng)
    sides: list[dict[int, str]] = [{} for _ in range(reader_count)]
    for (reader_index, vertex), is_a in zip(edges, on_a, strict=True):
        sides[reader_index][case_ids[vertex - reader_count]] = AI_ON_A if is_a else AI_ON_B
    return sides


def _balanced_sides(*, edges: Sequence[tuple[int, int]], vertex_count: int, rng: random.Random) -> list[bool]:
    """An equitable two-colouring of a bipartite graph's edges: at every vertex the two colours
    differ by at most one. True means the AI report on side A.

    The edges are split into trails, each coloured alternately from a random first colour. A pass
    through a vertex enters and leaves on different colours, so only a trail's ends can tip the
    balance. Trails are started first at vertices of odd remaining degree: such a trail can only
    stop at another odd vertex, and both ends become even, so each vertex ends at most one open
    trail. The remaining trails are closed, and a closed trail in a bipartite graph has even
    length, so its first and last edges differ in colour too (de Werra's balanced colouring).
    Random next edges and first colours make the sides random per reader and case."""
    incident: list[list[int]] = [[] for _ in range(vertex_count)]
    for edge, (u, v) in enumerate(edges):
        incident[u].append(edge)
        incident[v].append(edge)
    for vertex_edges in incident:
        rng.shuffle(vertex_edges)
    remaining = [len(vertex_edges) for vertex_edges in incident]
    used = [False] * len(edges)
    on_a = [False] * len(edges)

    def walk(vertex: int) -> None:
        colour = rng.random() < 0.5
        while True:
            vertex_edges = incident[vertex]
            while vertex_edges and used[vertex_edges[-1]]:
                vertex_edges.pop()
            if not vertex_edges:
                return
            edge = vertex_edges.pop()
            used[edge], on_a[edge], colour = True, colour, not colour
            u, v = edges[edge]
            remaining[u] -= 1
            remaining[v] -= 1
            vertex = v if vertex == u else u

    order = list(range(vertex_count))
    rng.shuffle(order)
    for vertex in order:
        if remaining[vertex] % 2:
            walk(vertex)
    for vertex in order:
        while remaining[vertex]:
            walk(vertex)
    return on_a


def _choose_repeats(*, cases: list[int], sides: dict[int, str], count: int, rng: random.Random) -> list[int]:
    """``count`` of a reader's first-read cases, in random order, half from each first-read side.

    With the sides of the first reads within one of each other, this keeps the repeats within one
    too; an odd extra comes from the side with more first reads, which keeps all of the reader's
    reads, first and repeat, within one as well (repeats show the AI on the other side)."""
    from_a = [case_id for case_id in cases if sides[case_id] == AI_ON_A]
    from_b = [case_id for case_id in cases if sides[case_id] == AI_ON_B]
    take_a = count // 2
    if count % 2 and (len(from_a) > len(from_b) or (len(from_a) == len(from_b) and rng.random() < 0.5)):
        take_a += 1
    chosen = rng.sample(from_a, take_a) + rng.sample(from_b, count - take_a)
    rng.shuffle(chosen)
    return chosen


def summarise_design(reads: Sequence[PlannedRead], *, reader_ids: Sequence[int] = ()) -> DesignSummary:
    """Counts per reader and per case; readers in ``reader_ids`` with no reads count as zero, so
    the workload spread shows them."""
    first, repeats, overlap, on_a, on_b = Counter(), Counter(), Counter(), Counter(), Counter()
    readers_by_case: dict[int, set[int]] = {}
    for read in reads:
        (repeats if read.is_repeat else first)[read.reader_id] += 1
        overlap[read.reader_id] += read.is_overlap and not read.is_repeat
        (on_a if read.ai_slot == AI_ON_A else on_b)[read.reader_id] += 1
        readers_by_case.setdefault(read.case_id, set()).add(read.reader_id)
    running: Counter = Counter()
    guessed = 0.0
    for reader_id, walk in _side_walks(reads).items():
        running[reader_id] = max(abs(step) for step in walk)
        guessed += counting_guesses(walk)
    readers = {
        reader_id: ReaderCounts(
            total=first[reader_id] + repeats[reader_id],
            first_reads=first[reader_id],
            repeats=repeats[reader_id],
            overlap=overlap[reader_id],
            ai_on_a=on_a[reader_id],
            ai_on_b=on_b[reader_id],
            largest_running_imbalance=running[reader_id],
        )
        for reader_id in dict.fromkeys([*reader_ids, *(read.reader_id for read in reads)])
    }
    first_counts = [counts.first_reads for counts in readers.values()]
    return DesignSummary(
        readers=readers,
        readers_per_case={case_id: len(ids) for case_id, ids in readers_by_case.items()},
        total_reads=len(reads),
        first_reads=sum(first_counts),
        repeats=sum(repeats.values()),
        overlap_cases=len({read.case_id for read in reads if read.is_overlap}),
        max_side_imbalance=max((counts.side_imbalance for counts in readers.values()), default=0),
        max_running_imbalance=max(running.values(), default=0),
        counting_guess_rate=guessed / len(reads) if reads else 0.5,
        workload_spread=max(first_counts, default=0) - min(first_counts, default=0),
    )


def _side_walks(reads: Sequence[PlannedRead]) -> dict[int, list[int]]:
    """Per reader, the imbalance (AI on A minus AI on B) after each read, in position order."""
    walks: dict[int, list[int]] = {}
    for read in sorted(reads, key=lambda r: (r.reader_id, r.position)):
        walk = walks.setdefault(read.reader_id, [])
        walk.append((walk[-1] if walk else 0) + (1 if read.ai_slot == AI_ON_A else -1))
    return walks


def counting_guesses(walk: Sequence[int]) -> float:
    """How many sides of one reader's list a reader who counts would guess right: before each read
    they guess the side seen less often so far, and either side when even (half a guess). ``walk``
    is the imbalance after each read (``_side_walks``). This is Blackwell and Hodges' convergence
    strategy (1957), the usual measure of a randomisation's predictability."""
    right, before = 0.0, 0
    for after in walk:
        went_a = after > before
        right += 0.5 if before == 0 else float(went_a == (before < 0))
        before = after
    return right
