"""The blinding audit: can a simple classifier tell the AI report from the reference by surface
features alone, in the form readers see? If it can, so can an attentive reader, and the study's
blinding rests on their not trying.

Method (docs/decisions/0013-display-form.md). Each pair is one example: the features of the two
displayed reports (``surface_features``) are subtracted in a seeded random order, and the label
says whether the first is the AI report. An L2-regularised logistic regression without intercept,
on features scaled to unit variance and trained on both orders of every training pair, is
antisymmetric: swapping the two reports flips its answer, so it guesses by content of the pair,
never by position. Accuracy is counted out of fold (k-fold cross-validation over pairs, k = 5 or
fewer for small studies); an exact tie (two reports alike in every feature) is called for the first
report, which the random order makes a coin toss. The 95% interval is Clopper and Pearson's exact
interval and the p-value the exact one-sided binomial test against chance (0.5); both treat the
out-of-fold calls as independent, as is usual for cross-validated accuracy.

The features that carry it are the model's standardised weights when fitted to every pair; the
pairs that stand out are those the out-of-fold model called most confidently right, with their
length ratio (AI characters / reference characters).
"""

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cmr_reader.studies.surface_features import SURFACE_FEATURES, WORD_PREFIX, common_words, surface_features

MIN_PAIRS = 10
COMMON_WORDS = 40
FOLDS = 5
TOP_FEATURES = 8
STANDOUT_PAIRS = 10


@dataclass(frozen=True)
class AuditReport:
    """One report of a pair as readers see it: ``text`` and its two sections' sentences."""

    text: str
    findings: tuple[str, ...]
    impression: tuple[str, ...]


@dataclass(frozen=True)
class AuditPair:
    label: str  # the case, as the coordinator knows it
    reference: AuditReport
    ai: AuditReport


@dataclass(frozen=True)
class FeatureWeight:
    feature: str  # a SURFACE_FEATURES key, or "word:<word>"
    weight: float  # standardised, in the model with every feature: above 0, a higher value in one
    # report of a pair makes the classifier call that one the AI report (the sign can differ from
    # the difference of the means, since the features are weighed together)
    ai_mean: float
    reference_mean: float


@dataclass(frozen=True)
class StandoutPair:
    label: str
    ai_probability: float  # out of fold: how sure the classifier was of the right answer
    length_ratio: float  # AI characters / reference characters


@dataclass(frozen=True)
class AuditResult:
    pairs: int
    correct: int | None  # None: too few pairs to audit
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None  # one-sided, against 0.5
    threshold: float
    features: tuple[FeatureWeight, ...]
    standouts: tuple[StandoutPair, ...]
    median_length_ratio: float | None
    seed: int

    @property
    def exceeds_threshold(self) -> bool:
        return self.accuracy is not None and self.accuracy > self.threshold

    def as_json(self) -> dict:
        return {**asdict(self), "exceeds_threshold": self.exceeds_threshold, "method": METHOD}


METHOD = (
    "L2 logistic regression without intercept on standardised feature differences of the two displayed "
    "reports of each pair (both orders in training), 5-fold cross-validated over pairs; accuracy out of "
    "fold with a Clopper-Pearson 95% interval and an exact one-sided binomial test against 0.5."
)


def audit_pairs(pairs: Sequence[AuditPair], *, threshold: float, seed: int = 0) -> AuditResult:
    """The audit of ``pairs``; below ``MIN_PAIRS`` pairs only the counts and length ratio."""
    ratios = [_length_ratio(pair) for pair in pairs]
    median_ratio = float(np.median(ratios)) if ratios else None
    if len(pairs) < MIN_PAIRS:
        return AuditResult(
            pairs=len(pairs),
            correct=None,
            accuracy=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            threshold=threshold,
            features=(),
            standouts=(),
            median_length_ratio=median_ratio,
            seed=seed,
        )
    vocabulary = common_words([t for p in pairs for t in (p.reference.text, p.ai.text)], count=COMMON_WORDS)
    names = [*SURFACE_FEATURES, *(WORD_PREFIX + word for word in vocabulary)]
    ai = np.array([_vector(pair.ai, vocabulary, names) for pair in pairs])
    reference = np.array([_vector(pair.reference, vocabulary, names) for pair in pairs])
    rng = random.Random(seed)
    ai_first = np.array([rng.random() < 0.5 for _ in pairs])
    differences = np.where(ai_first[:, None], ai - reference, reference - ai)

    ai_probability = np.zeros(len(pairs))  # out of fold: P(the AI report is the AI report)
    folds = KFold(n_splits=min(FOLDS, len(pairs)), shuffle=True, random_state=seed)
    for train, test in folds.split(differences):
        model = _fit(differences[train], ai_first[train])
        first_is_ai = _first_is_ai_probability(model, differences[test])
        ai_probability[test] = np.where(ai_first[test], first_is_ai, 1.0 - first_is_ai)
    # A call of exactly 0.5 goes to the first report: right when the coin put the AI first.
    called_right = (ai_probability > 0.5) | ((ai_probability == 0.5) & ai_first)
    correct = int(called_right.sum())
    test = binomtest(correct, len(pairs), 0.5, alternative="greater")
    interval = binomtest(correct, len(pairs), 0.5).proportion_ci(confidence_level=0.95, method="exact")

    full = _fit(differences, ai_first)
    scale = full[0].scale_
    weights = full[1].coef_[0]
    order = np.argsort(-np.abs(weights))
    features = tuple(
        FeatureWeight(
            feature=names[i],
            weight=round(float(weights[i]), 4),
            ai_mean=round(float(ai[:, i].mean()), 4),
            reference_mean=round(float(reference[:, i].mean()), 4),
        )
        for i in order[:TOP_FEATURES]
        if weights[i] != 0 and scale[i] > 0
    )
    # Only pairs the classifier leaned towards the right answer on stand out; an even call does not.
    standouts = tuple(
        StandoutPair(
            label=pairs[i].label,
            ai_probability=round(float(ai_probability[i]), 4),
            length_ratio=round(ratios[i], 3),
        )
        for i in np.argsort(-ai_probability, kind="stable")[:STANDOUT_PAIRS]
        if round(float(ai_probability[i]), 2) > 0.5
    )
    return AuditResult(
        pairs=len(pairs),
        correct=correct,
        accuracy=correct / len(pairs),
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        p_value=float(test.pvalue),
        threshold=threshold,
        features=features,
        standouts=standouts,
        median_length_ratio=median_ratio,
        seed=seed,
    )


def _vector(report: AuditReport, vocabulary: Sequence[str], names: Sequence[str]) -> list[float]:
    values = surface_features(
        text=report.text, findings=report.findings, impression=report.impression, vocabulary=vocabulary
    )
    return [values[name] for name in names]


def _fit(differences: np.ndarray, first_is_ai: np.ndarray):
    """The antisymmetric classifier, trained on both orders of every pair."""
    features = np.vstack([differences, -differences])
    labels = np.concatenate([first_is_ai, ~first_is_ai])
    model = make_pipeline(
        StandardScaler(with_mean=False), LogisticRegression(fit_intercept=False, C=1.0, max_iter=2000)
    )
    return model.fit(features, labels)


def _first_is_ai_probability(model, differences: np.ndarray) -> np.ndarray:
    classes = list(model.classes_)
    return model.predict_proba(differences)[:, classes.index(True)]


def _length_ratio(pair: AuditPair) -> float:
    return len(pair.ai.text) / max(len(pair.reference.text), 1)
