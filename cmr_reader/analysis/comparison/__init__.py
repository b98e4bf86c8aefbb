"""AI versus reference comparisons: paired tests, proportions, multiplicity and pooled models.

Input convention shared by every module here: the ratings of ONE criterion are a sequence of
`ScoreRow` tuples ``(case_id, reader_id, arm, score)`` where arm is ``"ai"`` or ``"reference"``
and score is a number on the declared scale (1..5 by default) or None/NaN when missing. Callers
filter by criterion before calling. Lower-level functions that need only numbers take numpy
arrays (NaN = missing). Every function is keyword-only and returns a frozen dataclass that
carries the numbers and a ``method`` string naming the procedure and its reference.

Differences are always AI minus reference, so a positive difference favours the AI report.
"""
