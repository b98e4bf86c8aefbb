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
