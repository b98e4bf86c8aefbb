"""Inter-rater agreement coefficients over a (subjects, raters) ratings matrix.

Conventions shared by every module here: ratings are a float numpy array of shape
(n_subjects, n_raters) with NaN for a missing rating; the scale is declared explicitly
(scale_min=1, scale_max=5 by default) and weights are built from it, never from the
levels that happen to occur; every coefficient returns an `Estimate`.
"""
