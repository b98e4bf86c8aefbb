"""Family-wise error control across criteria."""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.multitest import multipletests


@dataclass(frozen=True)
class HolmAdjustment:
    """Holm-adjusted p-values keyed like the input; None stays None and is not counted in the family."""

    adjusted: dict[str, float | None]
    rejected: dict[str, bool | None]
    alpha: float
    family_size: int
    method: str


def holm_adjust(*, p_values: Mapping[str, float | None], alpha: float = 0.05) -> HolmAdjustment:
    """Holm (1979) step-down adjustment via statsmodels multipletests(method="holm").

    With p_(1) <= ... <= p_(m): adjusted p_(i) = min(1, max_{j <= i} (m - j + 1) p_(j)), as in
    R's p.adjust(method = "holm"). Missing p-values (a criterion with no testable data) are left
    out of m, the family size, like p.adjust(n = sum(!is.na(p))) does.
    """
    keys = [key for key, value in p_values.items() if value is not None and not np.isnan(value)]
    adjusted: dict[str, float | None] = dict.fromkeys(p_values)
    rejected: dict[str, bool | None] = dict.fromkeys(p_values)
    if keys:
        reject, corrected, _sidak, _bonferroni = multipletests(
            [p_values[key] for key in keys], alpha=alpha, method="holm"
        )
        for key, is_rejected, value in zip(keys, reject, corrected, strict=True):
            adjusted[key] = float(value)
            rejected[key] = bool(is_rejected)
    return HolmAdjustment(
        adjusted=adjusted,
        rejected=rejected,
        alpha=alpha,
        family_size=len(keys),
        method="Holm (1979) step-down, statsmodels multipletests(method='holm')",
    )
