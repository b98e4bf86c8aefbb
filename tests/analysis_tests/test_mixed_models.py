"""Pooled arm-effect models. No published reference values were at hand, so these are checked by
simulation with a known true arm effect, not against a published result."""

import numpy as np
import pytest

from cmr_reader.analysis.comparison.models import fit_crossed_mixed_model, fit_ordinal_gee

TRUE_EFFECT = -0.3
CUTPOINTS = np.array([-1.5, -0.5, 0.5, 1.5])


def simulate_linear_scores(*, n_cases: int, n_readers: int, seed: int) -> list[tuple]:
    """score = 3 + u_case + v_reader - 0.3 * ai + e with sd(u) = 0.5, sd(v) = 0.3, sd(e) = 0.5."""
    rng = np.random.default_rng(seed)
    case_effect, reader_effect = rng.normal(0, 0.5, n_cases), rng.normal(0, 0.3, n_readers)
    return [
        (
            case,
            reader,
            arm,
            3 + case_effect[case] + reader_effect[reader] + TRUE_EFFECT * is_ai + rng.normal(0, 0.5),
        )
        for case in range(n_cases)
        for reader in range(n_readers)
        for arm, is_ai in (("ai", 1), ("reference", 0))
    ]


def simulate_ordinal_scores(*, n_cases: int, n_readers: int, seed: int) -> list[tuple]:
    """Proportional-odds scores 1..5: latent = -0.3 * ai + logistic noise, cut at -1.5, -0.5, 0.5, 1.5.

    The latent noise is independent so that the population-averaged log-odds ratio equals the
    true -0.3 exactly (a random case intercept would attenuate it; Zeger, Liang & Albert 1988).
    """
    rng = np.random.default_rng(seed)
    return [
        (case, reader, arm, 1 + int(np.sum(TRUE_EFFECT * is_ai + rng.logistic() > CUTPOINTS)))
        for case in range(n_cases)
        for reader in range(n_readers)
        for arm, is_ai in (("ai", 1), ("reference", 0))
    ]


def test_crossed_mixed_model_recovers_a_known_arm_effect():
    # 400 cases x 3 readers keeps the single-group MixedLM fit to a few seconds (2000 cases take minutes).
    result = fit_crossed_mixed_model(rows=simulate_linear_scores(n_cases=400, n_readers=3, seed=1))

    assert result.effect == pytest.approx(TRUE_EFFECT, abs=0.05)
    assert result.ci_low < TRUE_EFFECT < result.ci_high
    assert result.se < 0.05 and result.p_value < 1e-6
    assert (result.n_scores, result.n_cases, result.n_readers, result.converged) == (2400, 400, 3, True)


@pytest.mark.parametrize("exchangeable", [True, False])
def test_ordinal_gee_recovers_a_known_log_odds_ratio(exchangeable):
    result = fit_ordinal_gee(
        rows=simulate_ordinal_scores(n_cases=2000, n_readers=3, seed=2), exchangeable=exchangeable
    )

    assert result.effect == pytest.approx(TRUE_EFFECT, abs=0.05)
    assert result.ci_low < TRUE_EFFECT < result.ci_high
    assert result.n_cases == 2000


def test_models_run_on_a_small_study_with_missing_scores():
    rows = simulate_linear_scores(n_cases=12, n_readers=2, seed=3)
    rows = [(case, reader, arm, round(min(5, max(1, score)))) for case, reader, arm, score in rows]
    rows[0] = (*rows[0][:3], None)

    mixed = fit_crossed_mixed_model(rows=rows)
    ordinal = fit_ordinal_gee(rows=rows)

    assert mixed.n_scores == ordinal.n_scores == 47
    assert mixed.effect is not None and np.isfinite(mixed.effect)
    assert ordinal.effect is not None and np.isfinite(ordinal.effect)


def test_the_ordinal_gee_abstains_on_fewer_than_ten_cases():
    rows = simulate_linear_scores(n_cases=9, n_readers=3, seed=4)
    rows = [(case, reader, arm, round(min(5, max(1, score)))) for case, reader, arm, score in rows]

    ordinal = fit_ordinal_gee(rows=rows)

    assert ordinal.effect is None and ordinal.p_value is None and "at least 10 cases" in ordinal.method


def test_models_abstain_when_only_one_arm_was_scored():
    rows = [(case, "alice", "ai", 3.0 + case % 2) for case in range(5)]

    assert fit_crossed_mixed_model(rows=rows).effect is None
    assert fit_ordinal_gee(rows=rows).effect is None


# Four readers x five cases of 1-5 scores; per case, per reader "reference AI". statsmodels'
# default optimiser alone flags this crossed fit and stops 1.7 REML log-likelihood units short.
STOPS_SHORT = ["12 15 53 11", "23 43 21 44", "11 32 53 33", "43 14 45 42", "24 44 52 51"]


def rows_from(encoded: list[str]) -> list[tuple]:
    return [
        (f"case{case}", f"reader{reader}", arm, int(pair[position]))
        for case, line in enumerate(encoded)
        for reader, pair in enumerate(line.split())
        for position, arm in ((0, "reference"), (1, "ai"))
    ]


def hand_reml_objective(rows: list[tuple], variances: np.ndarray) -> float:
    """-2 x REML log-likelihood (without its constant) of score ~ ai + (1|case) + (1|reader) at
    (case, reader, residual) variances, written out from Harville (1977): log|V| + log|X'V^-1 X|
    + r'V^-1 r with r the GLS residual. Independent of statsmodels."""
    cases = sorted({row[0] for row in rows})
    readers = sorted({row[1] for row in rows})
    y = np.array([row[3] for row in rows], dtype=float)
    x = np.column_stack([np.ones(len(rows)), [row[2] == "ai" for row in rows]]).astype(float)
    z_case = np.array([[row[0] == case for case in cases] for row in rows], dtype=float)
    z_reader = np.array([[row[1] == reader for reader in readers] for row in rows], dtype=float)
    v = (
        variances[0] * z_case @ z_case.T
        + variances[1] * z_reader @ z_reader.T
        + variances[2] * np.eye(len(rows))
    )
    v_inv_x = np.linalg.solve(v, x)
    xt_v_inv_x = x.T @ v_inv_x
    beta = np.linalg.solve(xt_v_inv_x, v_inv_x.T @ y)
    residual = y - x @ beta
    return float(
        np.linalg.slogdet(v)[1] + np.linalg.slogdet(xt_v_inv_x)[1] + residual @ np.linalg.solve(v, residual)
    )


def hand_reml_optimum(rows: list[tuple]) -> float:
    """The smallest objective over a grid of starts (log standard deviations, Nelder-Mead)."""
    from scipy.optimize import minimize

    def objective(log_sd):
        return hand_reml_objective(rows, np.exp(2 * np.asarray(log_sd)))

    starts = [(a, b, 0.0) for a in (-6.0, -1.0, 0.5) for b in (-6.0, -1.0, 0.5)]
    return min(
        minimize(
            objective, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000}
        ).fun
        for start in starts
    )


def test_the_crossed_fit_reaches_the_reml_optimum_where_one_optimiser_stops_short(monkeypatch):
    """Regression (issue 22): the fit kept is at the optimum of an independent REML objective, and
    converged means exactly that."""
    from cmr_reader.analysis.comparison import models

    rows = rows_from(STOPS_SHORT)
    kept = {}
    real = models._arm_effect

    def keep_result(result, *args, **kwargs):
        kept["result"] = result
        return real(result, *args, **kwargs)

    monkeypatch.setattr(models, "_arm_effect", keep_result)
    effect = fit_crossed_mixed_model(rows=rows)
    result = kept["result"]
    ours = hand_reml_objective(rows, np.array([*result.vcomp, result.scale]))

    assert ours <= hand_reml_optimum(rows) + 1e-6
    assert effect.converged


def test_one_reader_fits_no_reader_variance_and_is_not_flagged():
    rows = [
        (case, reader, arm, score)
        for case, reader, arm, score in rows_from(STOPS_SHORT)
        if reader == "reader0"
    ]

    effect = fit_crossed_mixed_model(rows=rows)

    assert effect.converged and effect.n_readers == 1
    assert "one reader: no reader variance component" in effect.method
    # Balanced, one reader: the arm effect is the mean within-case difference, (1 + 1 + 0 - 1 + 2) / 5.
    assert effect.effect == pytest.approx(0.6, abs=1e-6)


def test_the_ordinal_gee_abstains_on_separated_arms_and_says_why():
    """Regression (issue 22): every AI score at or above every reference score makes the log-odds
    ratio infinite (Agresti 2010, 3.4.5); the fit used to report a huge finite number."""
    rows = [
        (case, reader, arm, score)
        for case in range(12)
        for reader in ("r1", "r2")
        for arm, score in (("ai", 4 + case % 2), ("reference", 1 + (case + 1) % 4))
    ]

    result = fit_ordinal_gee(rows=rows)

    assert result.effect is None and result.p_value is None and not result.converged
    assert "separation: the arms' scores do not overlap" in result.method
