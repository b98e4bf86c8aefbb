"""Reader-pair confusion (cross-classification) tables over the declared scale. Pure."""

from itertools import combinations

import numpy as np

from cmr_reader.analysis.agreement.scale import checked_ratings, scale_categories


def pairwise_confusion(
    matrix: np.ndarray, readers: list[str], *, scale_min: int = 1, scale_max: int = 5
) -> list[dict]:
    """One row per reader pair x (score of the first, score of the second), zero cells included.

    Only cases both readers scored enter a pair's table, as in Cohen's kappa. Rows:
    reader_1, reader_2, score_1, score_2, count.
    """
    ratings = checked_ratings(matrix, scale_min=scale_min, scale_max=scale_max)
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    k = len(categories)
    rows = []
    for i, j in combinations(range(len(readers)), 2):
        both = ~np.isnan(ratings[:, i]) & ~np.isnan(ratings[:, j])
        first = ratings[both, i].astype(int) - scale_min
        second = ratings[both, j].astype(int) - scale_min
        table = np.bincount(first * k + second, minlength=k * k).reshape(k, k)
        for a in range(k):
            for b in range(k):
                rows.append(
                    {
                        "reader_1": readers[i],
                        "reader_2": readers[j],
                        "score_1": int(categories[a]),
                        "score_2": int(categories[b]),
                        "count": int(table[a, b]),
                    }
                )
    return rows
