"""The three Obuchowski-Rockette analyses of OR-DBM MRMC, with Hillis's degrees of freedom.

- Random readers and random cases (Obuchowski & Rockette 1995; Hillis 2007's ddf_H):
  F = MS(T) / [MS(T*R) + r max(Cov2 - Cov3, 0)], ddf = den^2 / (MS(T*R)^2 / ((t-1)(r-1))).
  Single modality: SE = sqrt([MS_R(i) + r max(Cov2_i, 0)] / r),
  df = [MS_R(i) + r max(Cov2_i, 0)]^2 / (MS_R(i)^2 / (r-1)).
- Fixed readers, random cases: X2 = (t-1) MS(T) / [Var - Cov1 + (r-1) max(Cov2 - Cov3, 0)], with
  normal-theory intervals; per reader, SE of a difference from that reader's own covariances.
- Random readers, fixed cases: the conventional modality x reader ANOVA (Cov1 = Cov2 = Cov3 = 0).

Hillis, Obuchowski, Schartz & Berbaum (2005), Stat Med 24:1579; Hillis (2007), Stat Med 26:596.
Checked to the printed precision against OR-DBM MRMC 2.51 on Van Dyke et al. (1993) and
Franken et al. (1992) (tests/analysis_tests/test_mrmc.py).
"""

import math
from dataclasses import asdict, dataclass
from itertools import combinations

from scipy import stats

from cmr_reader.analysis.mrmc.covariances import (
    Covariances,
    ReaderAnova,
    VarianceComponents,
    jackknife_covariances,
    reader_anova,
    variance_components,
)
from cmr_reader.analysis.mrmc.design import CrossedDesign
from cmr_reader.analysis.mrmc.figures_of_merit import FigureOfMerit, jackknifed_fom

NEEDS_TWO_READERS = "needs two readers or more"
NEEDS_TWO_MODALITIES = "needs two modalities or more"
NO_VARIATION = "undefined: the error term is not positive (no variation between readers or cases)"


@dataclass(frozen=True)
class GlobalTest:
    """H0: all modalities have the same figure of merit. df2 is None for a chi-square test."""

    statistic: float | None
    df1: int
    df2: float | None
    p_value: float | None
    error_term: float | None
    distribution: str  # "F" or "chi-square"
    note: str = ""


@dataclass(frozen=True)
class Difference:
    """first minus second, with its interval; df None means a normal (z) interval."""

    first: str
    second: str
    estimate: float
    se: float | None
    df: float | None
    statistic: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    reader: str = ""
    note: str = ""


@dataclass(frozen=True)
class ModalityInterval:
    """The reader-averaged figure of merit of one modality with its interval (df None: normal)."""

    modality: str
    estimate: float
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""


@dataclass(frozen=True)
class Analysis:
    """One of the three analyses; a part the design cannot support is None or empty, with notes."""

    name: str
    global_test: GlobalTest | None
    differences: tuple[Difference, ...]
    modalities: tuple[ModalityInterval, ...]
    reader_differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MrmcResult:
    figure_of_merit: str
    confidence: float
    modalities: tuple[str, ...]
    readers: tuple[str, ...]
    n_cases: int
    n_units: int
    n_truth_0: int | None
    n_truth_1: int | None
    fom: tuple[tuple[float, ...], ...]  # [modality][reader]
    modality_means: tuple[float, ...]
    anova: ReaderAnova
    covariances: Covariances
    components: VarianceComponents | None
    random_readers_random_cases: Analysis
    fixed_readers_random_cases: Analysis
    random_readers_fixed_cases: Analysis


def _interval(estimate: float, se: float | None, df: float | None, confidence: float):
    """(statistic, two-sided p, low, high) from a t (finite df) or normal (df None or infinite)."""
    if se is None or not se > 0:
        return None, None, None, None
    statistic = estimate / se
    if df is None or math.isinf(df):
        p = 2 * stats.norm.sf(abs(statistic))
        quantile = stats.norm.ppf(0.5 + confidence / 2)
    else:
        p = 2 * stats.t.sf(abs(statistic), df)
        quantile = stats.t.ppf(0.5 + confidence / 2, df)
    return float(statistic), float(p), float(estimate - quantile * se), float(estimate + quantile * se)


def _difference(first, second, estimate, se, df, confidence, *, reader="", note="") -> Difference:
    statistic, p, low, high = _interval(estimate, se, df, confidence)
    if se is not None and not se > 0:
        se, df, note = None, None, note or NO_VARIATION
    return Difference(first, second, float(estimate), se, df, statistic, p, low, high, reader, note)


def _single(modality, estimate, variance, df, confidence) -> ModalityInterval:
    if variance is None or not variance > 0:
        return ModalityInterval(modality, float(estimate), None, None, None, None, NO_VARIATION)
    se = math.sqrt(variance)
    _, _, low, high = _interval(estimate, se, df, confidence)
    return ModalityInterval(modality, float(estimate), se, df, low, high)


def _hillis_df(numerator: float, mean_square: float, df: int) -> float:
    """Satterthwaite-style df of Hillis (2007): numerator^2 / (mean_square^2 / df); inf when MS = 0."""
    return math.inf if mean_square == 0 else numerator**2 / (mean_square**2 / df)


def _pairs(modalities, means):
    return [
        (modalities[i], modalities[j], means[i] - means[j])
        for i, j in combinations(range(len(modalities)), 2)
    ]


def _random_readers_random_cases(modalities, means, anova, cov, n_readers, confidence) -> Analysis:
    name = "random readers and random cases"
    if n_readers < 2:
        return Analysis(name, None, (), (), notes=(NEEDS_TWO_READERS,))
    singles = []
    for t, modality in enumerate(modalities):
        ms_r = anova.ms_r_per_modality[t]
        numerator = ms_r + n_readers * max(cov.cov2_per_modality[t] or 0.0, 0.0)
        df = _hillis_df(numerator, ms_r, n_readers - 1)
        singles.append(_single(modality, means[t], numerator / n_readers, df, confidence))
    if anova.ms_tr is None:
        return Analysis(name, None, (), tuple(singles), notes=(NEEDS_TWO_MODALITIES,))
    error_term = anova.ms_tr + n_readers * max(cov.cov2 - cov.cov3, 0.0)
    ddf = _hillis_df(error_term, anova.ms_tr, anova.df_tr)
    if error_term > 0:
        f = anova.ms_t / error_term
        p = stats.chi2.sf(f * anova.df_t, anova.df_t) if math.isinf(ddf) else stats.f.sf(f, anova.df_t, ddf)
        test = GlobalTest(float(f), anova.df_t, ddf, float(p), error_term, "F")
    else:
        test = GlobalTest(None, anova.df_t, None, None, error_term, "F", NO_VARIATION)
    se = math.sqrt(2 / n_readers * error_term) if error_term > 0 else 0.0
    differences = tuple(_difference(a, b, d, se, ddf, confidence) for a, b, d in _pairs(modalities, means))
    return Analysis(name, test, differences, tuple(singles))


def _fixed_readers_random_cases(modalities, readers, fom, means, anova, cov, confidence) -> Analysis:
    name = "fixed readers and random cases"
    n_readers = len(readers)
    spread = max((cov.cov2 or 0.0) - (cov.cov3 or 0.0), 0.0)
    singles = tuple(
        _single(
            modality,
            means[t],
            (cov.var_error_per_modality[t] + (n_readers - 1) * max(cov.cov2_per_modality[t] or 0.0, 0.0))
            / n_readers,
            None,
            confidence,
        )
        for t, modality in enumerate(modalities)
    )
    if anova.ms_t is None:
        return Analysis(name, None, (), singles, notes=(NEEDS_TWO_MODALITIES,))
    error_term = cov.var_error - cov.cov1 + (n_readers - 1) * spread
    if error_term > 0:
        x2 = anova.df_t * anova.ms_t / error_term
        test = GlobalTest(
            float(x2), anova.df_t, None, float(stats.chi2.sf(x2, anova.df_t)), error_term, "chi-square"
        )
        se = math.sqrt(2 / n_readers * error_term)
    else:
        test = GlobalTest(None, anova.df_t, None, None, error_term, "chi-square", NO_VARIATION)
        se = 0.0
    differences = tuple(_difference(a, b, d, se, None, confidence) for a, b, d in _pairs(modalities, means))
    per_reader = []
    m = cov.matrix
    for r, reader in enumerate(readers):
        for i, j in combinations(range(len(modalities)), 2):
            variance = m[i, r, i, r] + m[j, r, j, r] - 2 * m[i, r, j, r]
            reader_se = math.sqrt(variance) if variance > 0 else 0.0
            per_reader.append(
                _difference(
                    modalities[i],
                    modalities[j],
                    fom[i, r] - fom[j, r],
                    reader_se,
                    None,
                    confidence,
                    reader=reader,
                )
            )
    return Analysis(name, test, differences, singles, tuple(per_reader))


def _random_readers_fixed_cases(modalities, means, anova, n_readers, confidence) -> Analysis:
    name = "random readers and fixed cases"
    if n_readers < 2:
        return Analysis(name, None, (), (), notes=(NEEDS_TWO_READERS,))
    singles = tuple(
        _single(modality, means[t], anova.ms_r_per_modality[t] / n_readers, n_readers - 1, confidence)
        for t, modality in enumerate(modalities)
    )
    if anova.ms_tr is None:
        return Analysis(name, None, (), singles, notes=(NEEDS_TWO_MODALITIES,))
    if anova.ms_tr > 0:
        f = anova.ms_t / anova.ms_tr
        test = GlobalTest(
            float(f), anova.df_t, anova.df_tr, float(stats.f.sf(f, anova.df_t, anova.df_tr)), anova.ms_tr, "F"
        )
    else:
        test = GlobalTest(None, anova.df_t, anova.df_tr, None, anova.ms_tr, "F", NO_VARIATION)
    se = math.sqrt(2 / n_readers * anova.ms_tr) if anova.ms_tr > 0 else 0.0
    differences = tuple(
        _difference(a, b, d, se, anova.df_tr, confidence) for a, b, d in _pairs(modalities, means)
    )
    return Analysis(name, test, differences, singles)


def obuchowski_rockette(
    design: CrossedDesign, *, figure_of_merit: FigureOfMerit, confidence: float = 0.95
) -> MrmcResult:
    """All three OR analyses of a crossed design (see the module docstring for the formulas)."""
    jackknifed = jackknifed_fom(design, figure_of_merit)
    fom = jackknifed.fom
    means = fom.mean(axis=1)
    anova = reader_anova(fom)
    cov = jackknife_covariances(jackknifed.leave_one_out)
    modalities, readers = design.modalities, design.readers
    n_readers = len(readers)
    truth = design.truth
    return MrmcResult(
        figure_of_merit=figure_of_merit,
        confidence=confidence,
        modalities=modalities,
        readers=readers,
        n_cases=len(design.cases),
        n_units=design.n_units,
        n_truth_0=None if truth is None else int((truth == 0).sum()),
        n_truth_1=None if truth is None else int((truth == 1).sum()),
        fom=tuple(tuple(float(value) for value in row) for row in fom),
        modality_means=tuple(float(value) for value in means),
        anova=anova,
        covariances=cov,
        components=variance_components(anova, cov, len(modalities)),
        random_readers_random_cases=_random_readers_random_cases(
            modalities, means, anova, cov, n_readers, confidence
        ),
        fixed_readers_random_cases=_fixed_readers_random_cases(
            modalities, readers, fom, means, anova, cov, confidence
        ),
        random_readers_fixed_cases=_random_readers_fixed_cases(
            modalities, means, anova, n_readers, confidence
        ),
    )


def as_dict(result: MrmcResult) -> dict:
    """The result as plain data for JSON (the covariance matrix left out; its averages stay)."""
    data = asdict(result)
    data["covariances"].pop("matrix")
    return data
