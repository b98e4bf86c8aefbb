"""The full agreement table: every coefficient, per criterion and arm, as flat rows ready for JSON or CSV.

Each (criterion, arm) group becomes a cases x readers matrix (cases and readers in sorted order,
NaN where a reader gave no score) and yields, in this order:

    percent_agreement   exact (tolerance 0) and within one point (tolerance 1)
    cohen_kappa         weights none / linear / quadratic, for each reader pair "r1|r2" and
                        Light's mean over pairs (raters "light_mean")
    fleiss_kappa        Gwet's generalisation (missing scores allowed), unweighted
    krippendorff_alpha  nominal, ordinal, interval, ratio
    gwet_ac1            unweighted; gwet_ac2 linear and quadratic
    icc                 the six Shrout-Fleiss forms

A coefficient that cannot be computed for a group (say, no case scored twice) still gets its
row, with estimate None and the reason in ci_method, so the table's shape never depends on the data.
"""

import math
from collections.abc import Callable, Iterable
from functools import partial
from itertools import combinations

import numpy as np

from cmr_reader.analysis.agreement import bootstrap as boot
from cmr_reader.analysis.agreement.cohen import light_kappa, pairwise_cohen_kappa
from cmr_reader.analysis.agreement.estimate import Estimate
from cmr_reader.analysis.agreement.fleiss import fleiss_kappa_generalized
from cmr_reader.analysis.agreement.gwet import gwet_ac1, gwet_ac2
from cmr_reader.analysis.agreement.icc import intraclass_correlation
from cmr_reader.analysis.agreement.krippendorff_alpha import krippendorff_alpha
from cmr_reader.analysis.agreement.labels import landis_koch_label
from cmr_reader.analysis.agreement.percent import percent_agreement
from cmr_reader.analysis.agreement.ratings_csv import RatingRow

LABEL_KEYS = ("criterion", "arm", "coefficient", "weights", "level", "form", "raters", "tolerance")
ESTIMATE_KEYS = ("estimate", "se", "ci_low", "ci_high", "ci_method", "n_subjects", "n_raters", "n_ratings")
# Landis & Koch bands were written for kappa; they are applied to its chance-corrected relatives too.
KAPPA_LIKE = {"cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "gwet_ac2"}
WEIGHT_KINDS = ("none", "linear", "quadratic")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
# Replicates are computed in chunks so the (chunk, cases) draw-count matrix stays a few tens of MB.
CHUNK_CELLS = 5_000_000


def ratings_matrices(rows: Iterable[RatingRow]) -> dict[tuple[str, str], tuple[np.ndarray, list[str]]]:
    """(criterion, arm) -> (cases x readers matrix with NaN for missing, sorted reader ids)."""
    grouped: dict[tuple[str, str], list[RatingRow]] = {}
    for row in rows:
        grouped.setdefault((row.criterion, row.arm), []).append(row)
    matrices = {}
    for key, group in grouped.items():
        cases = {case: i for i, case in enumerate(sorted({row.case_id for row in group}))}
        readers = sorted({row.reader_id for row in group})
        columns = {reader: j for j, reader in enumerate(readers)}
        matrix = np.full((len(cases), len(readers)), np.nan)
        for row in group:
            if row.score is not None:
                matrix[cases[row.case_id], columns[row.reader_id]] = row.score
        matrices[key] = (matrix, readers)
    return matrices


def agreement_table(
    rows: Iterable[RatingRow],
    *,
    scale_min: int = 1,
    scale_max: int = 5,
    bootstrap: int = 0,
    seed: int | None = None,
) -> list[dict]:
    """One dict per (criterion, arm, coefficient variant); numeric NaN is written as None.

    With bootstrap = B > 0 each row also gets bootstrap_ci_low/high (95% percentile interval
    over B case resamples), bootstrap_b and bootstrap_seed. Every group is resampled from
    numpy.random.default_rng(seed), so a group's interval does not depend on which other
    groups are in the file, and two arms over the same cases are resampled case-for-case
    alike. Without a seed one is drawn and reported, so any run can be repeated.
    """
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 or a number of replicates, got {bootstrap}")
    if bootstrap and seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    table = []
    for (criterion, arm), (matrix, readers) in ratings_matrices(rows).items():
        group = _group_rows(matrix=matrix, readers=readers, scale=(scale_min, scale_max))
        intervals = (
            _bootstrap_intervals(matrix=matrix, group=group, replicates=bootstrap, seed=seed)
            if bootstrap
            else None
        )
        for index, (labels, estimate, _replicate) in enumerate(group):
            row = {"criterion": criterion, "arm": arm, **{key: None for key in LABEL_KEYS[2:]}, **labels}
            row.update(_estimate_fields(estimate))
            row["landis_koch"] = _landis_koch(row)
            if intervals is not None:
                low, high = intervals[index]
                row.update(
                    bootstrap_ci_low=low, bootstrap_ci_high=high, bootstrap_b=bootstrap, bootstrap_seed=seed
                )
            table.append(row)
    return table


Replicate = Callable[[np.ndarray], np.ndarray] | None


def _group_rows(
    *, matrix: np.ndarray, readers: list[str], scale: tuple[int, int]
) -> list[tuple[dict, Estimate | str, Replicate]]:
    """(labels, Estimate or the reason it failed, replicate function) for every row of one group."""
    on_scale = {"scale_min": scale[0], "scale_max": scale[1]}
    specs: list[tuple[dict, Callable[[], Estimate], Replicate]] = []
    for tolerance in (0, 1):
        specs.append(
            (
                {"coefficient": "percent_agreement", "tolerance": tolerance},
                partial(percent_agreement, matrix, tolerance=tolerance, **on_scale),
                partial(boot.percent_agreement_replicates, matrix, tolerance=tolerance, **on_scale),
            )
        )
    for weights in WEIGHT_KINDS:
        pairs = _lazy(partial(pairwise_cohen_kappa, matrix, weights=weights, **on_scale))
        for i, j in combinations(range(len(readers)), 2):
            specs.append(
                (
                    {
                        "coefficient": "cohen_kappa",
                        "weights": weights,
                        "raters": f"{readers[i]}|{readers[j]}",
                    },
                    partial(lambda pairs, key: pairs()[key], pairs, (i, j)),
                    partial(_pair_replicates, matrix=matrix, pair=(i, j), weights=weights, **on_scale),
                )
            )
        specs.append(
            (
                {"coefficient": "cohen_kappa", "weights": weights, "raters": "light_mean"},
                partial(light_kappa, matrix, weights=weights, **on_scale),
                partial(_light_replicates, matrix=matrix, weights=weights, **on_scale),
            )
        )
    specs.append(
        (
            {"coefficient": "fleiss_kappa", "weights": "none"},
            partial(fleiss_kappa_generalized, matrix, weights="none", **on_scale),
            partial(boot.fleiss_kappa_replicates, matrix, weights="none", **on_scale),
        )
    )
    for level in LEVELS:
        specs.append(
            (
                {"coefficient": "krippendorff_alpha", "level": level},
                partial(krippendorff_alpha, matrix, level=level, **on_scale),
                partial(boot.krippendorff_alpha_replicates, matrix, level=level, **on_scale),
            )
        )
    specs.append(
        (
            {"coefficient": "gwet_ac1", "weights": "none"},
            partial(gwet_ac1, matrix, **on_scale),
            partial(boot.gwet_ac_replicates, matrix, weights="none", **on_scale),
        )
    )
    for weights in ("linear", "quadratic"):
        specs.append(
            (
                {"coefficient": "gwet_ac2", "weights": weights},
                partial(gwet_ac2, matrix, weights=weights, **on_scale),
                partial(boot.gwet_ac_replicates, matrix, weights=weights, **on_scale),
            )
        )
    for form in ICC_FORMS:
        specs.append(
            (
                {"coefficient": "icc", "form": form},
                partial(intraclass_correlation, matrix, form=form),
                partial(boot.icc_replicates, matrix, form=form),
            )
        )

    group = []
    for labels, compute, replicate in specs:
        try:
            group.append((labels, compute(), replicate))
        except ValueError as error:
            # No interval either: resampling cannot rescue a coefficient the data cannot support.
            group.append((labels, str(error), None))
    return group


def _bootstrap_intervals(
    *, matrix: np.ndarray, group: list, replicates: int, seed: int
) -> list[tuple[float | None, float | None]]:
    rng = np.random.default_rng(seed)
    n_subjects = matrix.shape[0]
    chunk = max(1, CHUNK_CELLS // max(n_subjects, 1))
    values: list[list[np.ndarray]] = [[] for _ in group]
    done = 0
    while done < replicates:
        size = min(chunk, replicates - done)
        counts = boot.draw_counts(n_subjects=n_subjects, replicates=size, rng=rng)
        for index, (_labels, _estimate, replicate) in enumerate(group):
            if replicate is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values[index].append(replicate(counts=counts))
        done += size
    return [boot.percentile_interval(np.concatenate(v)) if v else (None, None) for v in values]


def _lazy(compute: Callable[[], dict]) -> Callable[[], dict]:
    """Compute the pairwise kappas once for all pairs, on first use."""
    cache: list[dict] = []

    def get() -> dict:
        if not cache:
            cache.append(compute())
        return cache[0]

    return get


def _pair_replicates(
    *, counts: np.ndarray, matrix: np.ndarray, pair: tuple[int, int], **options
) -> np.ndarray:
    return boot.cohen_kappa_replicates(matrix[:, list(pair)], counts=counts, **options)[(0, 1)]


def _light_replicates(*, counts: np.ndarray, matrix: np.ndarray, **options) -> np.ndarray:
    pairs = np.array(list(boot.cohen_kappa_replicates(matrix, counts=counts, **options).values()))
    defined = ~np.isnan(pairs)
    # Light's kappa averages the defined pairs only, as `cohen.light_kappa` does.
    return np.where(
        defined.any(axis=0), np.where(defined, pairs, 0).sum(axis=0) / defined.sum(axis=0), np.nan
    )


def _estimate_fields(estimate: Estimate | str) -> dict:
    if isinstance(estimate, str):
        return {
            "estimate": None,
            "se": None,
            "ci_low": None,
            "ci_high": None,
            "ci_method": f"none: {estimate}",
            "n_subjects": None,
            "n_raters": None,
            "n_ratings": None,
        }
    return {key: _number(getattr(estimate, key)) for key in ESTIMATE_KEYS}


def _landis_koch(row: dict) -> str | None:
    value = row["estimate"]
    if row["coefficient"] not in KAPPA_LIKE or value is None or value > 1:
        return None
    return landis_koch_label(value)


def _number(value):
    """NaN (an undefined coefficient) becomes None, which JSON and CSV both write plainly."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _number(value.item())
    return value
