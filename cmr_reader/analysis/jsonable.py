"""Results as JSON: numpy scalars to Python numbers, NaN/inf to None. Pure, no Django."""

import math

import numpy as np


def json_ready(value):
    """Recursively: dict keys to str, tuples to lists, numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
