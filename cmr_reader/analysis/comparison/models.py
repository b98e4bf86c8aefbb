"""Pooled models of score on arm across all readers and cases.

No model here has a published reference value handy; each is checked by simulation with a known
arm effect (tests/analysis_tests/test_mixed_models.py, test_comparison_table.py).
"""

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.genmod.cov_struct import Exchangeable, Independence
from statsmodels.genmod.generalized_estimating_equations import OrdinalGEE
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from cmr_reader.analysis.comparison.scores import AI, ScoreRow, check_arm, is_missing

# Fewest clusters (cases) for which the ordinal GEE's robust variance is reported.
MIN_GEE_CLUSTERS = 10
# A fitted log-odds ratio beyond this is an optimiser walking off towards infinity (separation
# the range check below did not see), not an estimate: odds ratios of e^15 do not occur in scores.
MAX_LOG_ODDS = 15.0
# REML fits are made with these optimisers; the best log-likelihood is kept. One optimiser alone
# (statsmodels' default) stopped short of the optimum in about one flagged fit in six, by up to 9
# log-likelihood units, with a reader variance of 1.04 where the optimum's is 0. A fit that the
# first optimiser reports clean and away from the boundary is kept as it is (a 400-case crossed
# fit takes seconds); the others run when it warned or approached a zero variance, where
# gradient methods stop short (seen: a case variance of 0.0005 where the optimum's is 0).
REML_OPTIMISERS = ("lbfgs", "bfgs", "powell", "nm")
# Fits within this many log-likelihood units of the best are at the same optimum.
LLF_TOLERANCE = 1e-3
# A variance component below this share of the residual variance is at the boundary (zero).
BOUNDARY_SHARE = 1e-6
# statsmodels' warning for an optimum with a zero variance component: a fine fit, noted as such.
BOUNDARY_WARNING = "on the boundary"


@dataclass(frozen=True)
class ArmEffect:
    """Effect of the AI arm relative to reference with its Wald interval and p-value.

    For the mixed model the effect is in score points; for the ordinal model it is the
    cumulative log-odds ratio (positive = AI tends to get higher scores). For the mixed models
    converged means "at the REML optimum": an optimiser that reported success reached the best
    log-likelihood any of them found; a variance component at zero (a boundary fit) is a fine
    optimum and is named in method, not flagged. For the GEE, converged is False when the
    optimiser warned. When it is False the numbers deserve suspicion.
    """

    effect: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_scores: int
    n_cases: int
    n_readers: int
    converged: bool
    confidence_level: float
    method: str


def score_frame(*, rows: Iterable[ScoreRow]) -> pd.DataFrame:
    """Non-missing rows as a frame with columns case, reader, ai (1 for the AI arm), score."""
    records = []
    for case_id, reader_id, arm, score in rows:
        check_arm(arm)
        if not is_missing(score):
            records.append((str(case_id), str(reader_id), int(arm == AI), float(score)))
    return pd.DataFrame.from_records(records, columns=["case", "reader", "ai", "score"])


def fit_crossed_mixed_model(*, rows: Iterable[ScoreRow], confidence_level: float = 0.95) -> ArmEffect:
    """Linear mixed model score = b0 + b1 * ai + u_case + v_reader + e, u, v, e independent normals.

    Crossed random intercepts are fitted the way statsmodels documents for crossed effects: one
    group holding every row, with case and reader as variance components (vc_formula), by REML.
    b1 is tested with a Wald z test (statsmodels MixedLM), which is slightly liberal for few readers.

    With one reader there is no reader variance to estimate: the model is then score ~ ai +
    (1|case), and method says so.
    """
    frame = score_frame(rows=rows)
    method = "LMM score ~ ai + (1|case) + (1|reader), REML, statsmodels MixedLM with vc_formula; Wald z"
    if frame.empty or frame["ai"].nunique() < 2:
        return _no_effect(frame, confidence_level, method + "; both arms needed")
    frame["everything"] = 1
    components = {"case": "0 + C(case)", "reader": "0 + C(reader)"}
    if frame["reader"].nunique() < 2:
        del components["reader"]
        method += "; one reader: no reader variance component"
    model = MixedLM.from_formula(
        "score ~ ai", groups="everything", re_formula="0", vc_formula=components, data=frame
    )
    return _fit_reml(model, frame, confidence_level, method)


def fit_reader_fixed_mixed_model(*, rows: Iterable[ScoreRow], confidence_level: float = 0.95) -> ArmEffect:
    """Linear mixed model score = b0 + b1 * ai + r_reader + u_case + e: readers fixed, case random.

    The scalable stand-in for fit_crossed_mixed_model. The crossed fit holds every row in one
    group with a dense rows x cases design matrix, so its cost grows at least with the square of
    the number of cases; here MixedLM groups by case (many small blocks, cost linear in cases) and
    each reader gets a fixed intercept instead of a variance component. When every reader scored
    both arms of each case, b1 is the same within-case, within-reader contrast in both models; the
    difference is that inference is conditional on these readers, not generalised to other readers.
    """
    frame = score_frame(rows=rows)
    method = (
        "LMM score ~ ai + C(reader) + (1|case), readers as fixed effects, REML, "
        "statsmodels MixedLM groups=case; Wald z"
    )
    if frame.empty or frame["ai"].nunique() < 2:
        return _no_effect(frame, confidence_level, method + "; both arms needed")
    # With a single reader C(reader) has one level and adds no column, so the formula still holds.
    model = MixedLM.from_formula("score ~ ai + C(reader)", groups="case", data=frame)
    return _fit_reml(model, frame, confidence_level, method)


def fit_ordinal_gee(
    *, rows: Iterable[ScoreRow], exchangeable: bool = True, confidence_level: float = 0.95
) -> ArmEffect:
    """Cumulative-logit GEE: logit P(score > j) = a_j + b * ai, clustered by case (Liang & Zeger 1986).

    statsmodels OrdinalGEE expands each score into one binary indicator per threshold; b is the
    population-averaged log-odds ratio of a higher score for AI, with a robust (sandwich) SE, so
    the working correlation (exchangeable or independence within case) affects efficiency, not
    validity. Reader effects are not modelled; they are averaged over.
    """
    frame = score_frame(rows=rows)
    structure = "exchangeable" if exchangeable else "independence"
    method = f"ordinal GEE, cumulative logit, clustered by case, {structure} working correlation, robust SE"
    if frame.empty or frame["ai"].nunique() < 2 or frame["score"].nunique() < 2:
        return _no_effect(frame, confidence_level, method + "; both arms and two score levels needed")
    if frame["case"].nunique() < MIN_GEE_CLUSTERS:
        # The sandwich variance rests on the clusters; with a handful the fit can "converge" to
        # absurd log-odds (seen: -49 on two cases), so it is not reported at all.
        return _no_effect(frame, confidence_level, method + f"; at least {MIN_GEE_CLUSTERS} cases needed")
    if _arms_separated(frame):
        return _no_effect(
            frame,
            confidence_level,
            method + "; separation: the arms' scores do not overlap, so the log-odds ratio is infinite",
        )
    model = OrdinalGEE(
        frame["score"].to_numpy(),
        frame[["ai"]].to_numpy(dtype=float),
        groups=frame["case"].to_numpy(),
        cov_struct=Exchangeable() if exchangeable else Independence(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = model.fit()
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    effect = _arm_effect(result, frame, confidence_level, converged, method, name=result.model.exog_names[-1])
    if effect.effect is None or not np.isfinite(effect.effect) or abs(effect.effect) > MAX_LOG_ODDS:
        return _no_effect(
            frame,
            confidence_level,
            method + f"; separation: the fit diverged (|log-odds| > {MAX_LOG_ODDS:g})",
        )
    return effect


def _arms_separated(frame: pd.DataFrame) -> bool:
    """(Quasi-)complete separation: every score of one arm is at or above every score of the other
    (Agresti 2010, Analysis of Ordinal Categorical Data, 3.4.5), where the MLE is infinite."""
    ai = frame.loc[frame["ai"] == 1, "score"]
    reference = frame.loc[frame["ai"] == 0, "score"]
    return bool(ai.min() >= reference.max() or reference.min() >= ai.max())


def _fit_reml(model, frame, confidence_level, method) -> ArmEffect:
    """The best REML fit over ``REML_OPTIMISERS`` (see ``ArmEffect.converged``)."""
    fits = []  # (log-likelihood, clean, boundary warning, result)
    errors = []
    for optimiser in REML_OPTIMISERS:
        if fits and fits[0][1] and not fits[0][2]:
            break  # clean and inside the parameter space: a stationary point, kept
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                result = model.fit(reml=True, method=optimiser)
            except (np.linalg.LinAlgError, ValueError) as error:
                # MixedLM raises instead of warning when the design is degenerate (a single case,
                # or reader confounded with arm); a study export must still get its row.
                errors.append(error)
                continue
        if not np.isfinite(result.llf):
            continue
        messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
        boundary = any(BOUNDARY_WARNING in message for message in messages)
        worrying = [message for message in messages if BOUNDARY_WARNING not in message]
        fits.append((float(result.llf), bool(result.converged) and not worrying, boundary, result))
    if not fits:
        return _no_effect(
            frame, confidence_level, f"{method}; not estimable: {errors[-1] if errors else 'no fit'}"
        )
    best_llf = max(llf for llf, *_rest in fits)
    at_optimum = [fit for fit in fits if fit[1] and fit[0] >= best_llf - LLF_TOLERANCE]
    llf, clean, _boundary, result = at_optimum[0] if at_optimum else max(fits, key=lambda fit: fit[0])
    zero = _zero_components(result)
    if zero:
        method += f"; boundary fit: {', '.join(zero)} variance 0 at the REML optimum"
    if not at_optimum:
        method += "; no optimiser reported reaching the best REML log-likelihood found"
    return _arm_effect(result, frame, confidence_level, bool(at_optimum), method)


def _zero_components(result) -> list[str]:
    """The names of the variance components that sit at zero (the boundary) in ``result``."""
    scale = float(result.scale)
    names, values = [], []
    if result.model.exog_vc is not None and len(result.vcomp):
        names += list(result.model.exog_vc.names)
        values += [float(value) for value in result.vcomp]
    if result.cov_re is not None and np.asarray(result.cov_re).size:
        names.append("case")  # the reader-fixed model's random intercept is the case's
        values.append(float(np.asarray(result.cov_re)[0, 0]))
    return [
        name for name, value in zip(names, values, strict=True) if value <= BOUNDARY_SHARE * max(scale, 1e-12)
    ]


def _arm_effect(result, frame, confidence_level, converged, method, name="ai") -> ArmEffect:
    position = list(result.model.exog_names).index(name)
    low, high = np.asarray(result.conf_int(alpha=1 - confidence_level))[position]
    return ArmEffect(
        effect=float(np.asarray(result.params)[position]),
        se=float(np.asarray(result.bse)[position]),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(np.asarray(result.pvalues)[position]),
        n_scores=len(frame),
        n_cases=int(frame["case"].nunique()),
        n_readers=int(frame["reader"].nunique()),
        converged=converged,
        confidence_level=confidence_level,
        method=method,
    )


def _no_effect(frame, confidence_level, method) -> ArmEffect:
    return ArmEffect(
        effect=None,
        se=None,
        ci_low=None,
        ci_high=None,
        p_value=None,
        n_scores=len(frame),
        n_cases=int(frame["case"].nunique()) if not frame.empty else 0,
        n_readers=int(frame["reader"].nunique()) if not frame.empty else 0,
        converged=False,
        confidence_level=confidence_level,
        method=method,
    )
