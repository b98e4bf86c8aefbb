"""Krippendorff's alpha for any number of raters, missing ratings allowed.

The arithmetic is delegated to the maintained `krippendorff` package (Castro), whose
results match Krippendorff's (2011) worked example at all four levels. This module
adds the project's conventions: a (subjects, raters) matrix, a declared scale and an
`Estimate` result.
"""

from typing import Literal

import krippendorff
import numpy as np

from cmr_reader.analysis.agreement.estimate import Estimate
from cmr_reader.analysis.agreement.scale import checked_ratings, scale_categories

MeasurementLevel = Literal["nominal", "ordinal", "interval", "ratio"]

# Alpha has no closed-form standard error; its interval comes from bootstrapping subjects.
NO_INTERVAL = "none: alpha has no analytic standard error; use the bootstrap"
# Where alpha itself is undefined the reason is that, not the missing standard error.
UNDEFINED = "none: alpha is undefined when the pairable ratings do not vary (no expected disagreement)"


def krippendorff_alpha(
    ratings: np.ndarray,
    *,
    level: MeasurementLevel,
    scale_min: int = 1,
    scale_max: int = 5,
) -> Estimate:
    """Krippendorff's alpha = 1 - D_o / D_e, observed over expected disagreement.

    From the coincidence matrix o_ck = sum over units u of (number of c-k pairs in u) / (m_u - 1),
    where m_u is the number of ratings of unit u (units with m_u < 2 are not pairable and drop
    out), n_c = sum_k o_ck and n = sum_c n_c:

        alpha = 1 - (n - 1) * sum_ck o_ck delta2_ck / sum_ck n_c n_k delta2_ck

    with the squared difference delta2 of the chosen level:

        nominal   delta2_ck = [c != k]
        ordinal   delta2_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2
        interval  delta2_ck = (c - k)^2
        ratio     delta2_ck = ((c - k) / (c + k))^2

    The value domain passed to the package is the declared scale (scale_min..scale_max), so a
    rating outside it is rejected rather than silently widening the scale. For the ordinal
    metric a declared but unused category has n_g = 0 and so does not change alpha.

    se, ci_low and ci_high are None: alpha has no analytic standard error that Krippendorff
    endorses; a bootstrap over subjects supplies its interval.

    Alpha is NaN when the pairable ratings show no variation at all (D_e = 0), where
    Krippendorff (2011) leaves it undefined.

    Reference: Krippendorff K (2011) Computing Krippendorff's Alpha-Reliability, Annenberg
    School for Communication, University of Pennsylvania, sections B-E.
    """
    matrix = checked_ratings(ratings, scale_min=scale_min, scale_max=scale_max)
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"unknown level {level!r}")
    if level == "ratio" and scale_min < 0:
        raise ValueError("the ratio level needs a scale with a true zero and no negative values")

    ratings_per_subject = np.sum(~np.isnan(matrix), axis=1)
    pairable = matrix[ratings_per_subject >= 2]
    if pairable.shape[0] == 0:
        raise ValueError("Krippendorff's alpha needs at least one subject rated by two or more raters")
    present = pairable[~np.isnan(pairable)]
    if np.unique(present).size < 2:
        alpha = float("nan")
    else:
        # The package wants raters in rows and units in columns, the transpose of ours.
        alpha = float(
            krippendorff.alpha(
                reliability_data=pairable.T,
                value_domain=scale_categories(scale_min=scale_min, scale_max=scale_max),
                level_of_measurement=level,
            )
        )

    return Estimate(
        estimate=alpha,
        se=None,
        ci_low=None,
        ci_high=None,
        ci_method=UNDEFINED if np.isnan(alpha) else NO_INTERVAL,
        n_subjects=int(pairable.shape[0]),
        n_raters=int(np.any(~np.isnan(pairable), axis=0).sum()),
        n_ratings=int(present.size),
    )
