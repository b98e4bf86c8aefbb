"""Reading time per case: the active seconds of counted readings, overall and per reader.

Active time is what the reading page measured while the case was in front of the reader (a tab
left in the background does not count; see studies/answers.py). Readings with no measured time
(imported or older ones) are left out and counted.
"""

import numpy as np

from cmr_reader.analysis.study_data import StudyData


def _summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0, "median": None, "q1": None, "q3": None, "mean": None}
    q1, median, q3 = np.percentile(seconds, [25, 50, 75])
    return {
        "n": len(seconds),
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "mean": float(np.mean(seconds)),
    }


def reading_time_summary(data: StudyData) -> dict:
    """{"n", "median", "q1", "q3", "mean", "unmeasured", "per_reader": [{"reader_id", ...}]} in seconds."""
    counted = data.counted()
    timed = [reading for reading in counted if reading.active_seconds > 0]
    per_reader: dict[str, list[float]] = {}
    for reading in timed:
        per_reader.setdefault(reading.reader_id, []).append(reading.active_seconds)
    return {
        **_summary([reading.active_seconds for reading in timed]),
        "unmeasured": len(counted) - len(timed),
        "per_reader": [
            {"reader_id": reader, **_summary(per_reader[reader])} for reader in sorted(per_reader)
        ],
    }
