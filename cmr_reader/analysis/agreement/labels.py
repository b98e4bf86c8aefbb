"""Landis & Koch (1977) verbal labels for kappa-type coefficients.

The bands are conventions, not evidence; Landis & Koch call them "arbitrary" but useful
benchmarks. Report the coefficient and its interval; the label only helps a reader.
"""

import math

# Upper bound (inclusive) of each band, from Landis & Koch (1977), Biometrics 33:159-174, p. 165.
# The paper states the bands to two decimals (0.00-0.20, 0.21-0.40, ...); a value between them,
# e.g. 0.205, is placed in the higher band by treating each published upper bound as inclusive.
LANDIS_KOCH_BANDS: tuple[tuple[float, str], ...] = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.00, "almost perfect"),
)


def landis_koch_label(kappa: float) -> str:
    """Strength of agreement for a kappa value (Landis & Koch 1977, p. 165).

        kappa < 0          poor
        0    <= k <= 0.20  slight
        0.20 <  k <= 0.40  fair
        0.40 <  k <= 0.60  moderate
        0.60 <  k <= 0.80  substantial
        0.80 <  k <= 1     almost perfect

    NaN (an undefined kappa) and values above 1 are rejected rather than labelled.
    """
    if math.isnan(kappa) or kappa > 1:
        raise ValueError(f"a kappa must be a number no greater than 1, got {kappa!r}")
    if kappa < 0:
        return "poor"
    return next(label for upper, label in LANDIS_KOCH_BANDS if kappa <= upper)
