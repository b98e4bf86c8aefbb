"""Published agreement datasets, transcribed once and shared by the agreement tests.

Each constant names its source. Contingency tables are expanded into the package's
(subjects, raters) ratings matrix by `ratings_from_table`, so the tests go through the
same public functions the site uses.
"""

import numpy as np

nan = np.nan

# Fleiss (1971) Psychol Bull 76:378-382, Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
# (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other), as the raw matrix
# of R's irr::diagnoses (Gamer et al.). Fleiss published counts per patient; any assignment of
# those counts to rater columns gives the same Fleiss kappa.
FLEISS_1971_DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ],
    dtype=float,
)

# irrCAC `cac.raw4raters` (Gwet 2014, Handbook of Inter-Rater Reliability, 4th ed.; irrCAC README):
# 12 subjects x 4 raters on categories 1..5, with missing ratings; no rater scored every subject.
GWET_RAW_4_RATERS = np.array(
    [
        [1, 1, nan, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [nan, 5, 5, 5],
        [nan, nan, 1, 1],
        [nan, nan, 3, nan],
    ]
)

# SAS/STAT User's Guide, PROC FREQ, Getting Started "Agreement Study", Table "Skin Condition Data":
# two dermatologists, 88 patients, terrible (1) / poor (2) / marginal (3) / clear (4).
SAS_SKIN_CONDITION = np.array([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]])

# irrCAC `cont3x3abstractors` (irrCAC README and weighting vignette): two abstractors, 100 charts,
# ectopic (1) / AIU (2) / NIU (3).
GWET_ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])

# Feinstein & Cicchetti (1990) J Clin Epidemiol 43:543-549, as tabulated in Gerstman,
# Epidemiology Kept Simple, Table 10.6 A and B: both 85% agreement, kappa 0.70 vs 0.32.
# Rows rater A (+, -), columns rater B (+, -); "+" is coded 1 and "-" 0.
FEINSTEIN_CICCHETTI_BALANCED = np.array([[40, 9], [6, 45]])
FEINSTEIN_CICCHETTI_SKEWED = np.array([[80, 10], [5, 5]])


def ratings_from_table(table: np.ndarray, *, categories: list[int]) -> np.ndarray:
    """Expand a two-rater contingency table (rows rater 1) into a (subjects, 2) ratings matrix."""
    rows = [
        [categories[k], categories[l]]
        for k in range(len(categories))
        for l in range(len(categories))  # noqa: E741
        for _ in range(int(table[k][l]))
    ]
    return np.array(rows, dtype=float)
