"""The study's size as a paper states it: the cases and readers the statistics rest on.

A study's design lists every assigned case and reader, but only submitted first readings count
(``MISSING_DATA_RULE``): "3 radiologists read 20 cases" must count the cases with at least one
counted reading, not the cases assigned. Results stored before these counts existed lack them;
they are then ``None`` (shown as a dash) until the analysis is run again, never the assigned
numbers in their place.
"""


def headline_counts(counts: dict) -> dict:
    """``counts`` of a run's stored results, with ``cases_read`` and ``readers_counted``."""
    return {
        **counts,
        "cases_read": counts.get("cases_read"),
        "readers_counted": counts.get("readers_counted"),
    }


def shown(number: int | None) -> str:
    return "-" if number is None else str(number)
