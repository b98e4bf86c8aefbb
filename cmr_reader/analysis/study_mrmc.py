"""The study's MRMC rows: the mean Likert score per criterion (AI vs reference) and the AUC of
the readers' "which is AI?" confidence, each from the largest fully crossed block of readings.

Obuchowski-Rockette needs every reader to have read every case. A reader study assigns each case
to some readers (with an overlap read by all), so each row uses the readers and cases of its
crossed block: starting from every reader, the reader whose removal gains the most cases read by
all is dropped until the block has ``MIN_MRMC_CASES`` cases (never below two readers). The row says
how many readers and cases it used and how many counted cases it left out. Pure over StudyData.
"""

from collections import defaultdict
from collections.abc import Iterable

from scipy import stats

from cmr_reader.analysis.mrmc.design import MrmcInputError, Reading, crossed_design
from cmr_reader.analysis.mrmc.obuchowski_rockette import MrmcResult, obuchowski_rockette
from cmr_reader.analysis.study_data import AI, REFERENCE, StudyData

# Fewest cases read by every reader of the block for an MRMC row; below it the row abstains.
# Reasons are stored in English and translated on display (stored_sentences.PHRASES).
MIN_MRMC_CASES = 10
TOO_FEW_CROSSED = f"fewer than {MIN_MRMC_CASES} cases were read by two readers or more in common"
NO_GUESS_QUESTION = "the study does not ask readers which report is the AI one"
CHANCE_AUC = 0.5
# Signed confidence for the AUC: a guess with no confidence (older readings) counts as 1.
DEFAULT_CONFIDENCE = 1


def crossed_block(read: dict[str, set[str]], *, minimum: int = MIN_MRMC_CASES) -> tuple[list[str], list[str]]:
    """(readers, cases) of the largest crossed block found greedily; read maps reader -> cases."""
    readers = sorted(read)

    def common(group: Iterable[str]) -> set[str]:
        sets = [read[reader] for reader in group]
        return set.intersection(*sets) if sets else set()

    cases = common(readers)
    while len(cases) < minimum and len(readers) > 2:
        readers = max(
            ([other for other in readers if other != dropped] for dropped in readers),
            key=lambda group: (len(common(group)), group),
        )
        cases = common(readers)
    return readers, sorted(cases)


def _components(result: MrmcResult) -> dict | None:
    c, components = result.covariances, result.components
    if components is None:
        return None
    return {
        "n_cases": result.n_units,
        "var_tr": components.var_tr,
        "var_r": components.var_r,
        "var_error": c.var_error,
        "cov1": c.cov1,
        "cov2": c.cov2,
        "cov3": c.cov3,
    }


def _abstained(base: dict, reason: str) -> dict:
    return {**base, "estimate": None, "reason": reason}


def likert_mrmc_rows(data: StudyData) -> list[dict]:
    """Per criterion: the reader-averaged mean score of each arm and AI minus reference, random
    readers and random cases (OR with Hillis's ddf), with the components a planning needs."""
    margin = data.non_inferiority_margin
    counted = data.counted()
    study_cases = {reading.case_id for reading in counted}
    rows = []
    for criterion in data.criterion_keys:
        scores = {}
        read: dict[str, set[str]] = defaultdict(set)
        for reading in counted:
            ai, reference = (reading.answers.get(f"{arm}.{criterion}") for arm in (AI, REFERENCE))
            if ai is not None and reference is not None:
                scores[(reading.reader_id, reading.case_id)] = (float(ai), float(reference))
                read[reading.reader_id].add(reading.case_id)
        readers, cases = crossed_block(read)
        base = {
            "criterion": criterion,
            "figure_of_merit": "mean score",
            "readers": len(readers),
            "cases": len(cases),
            "cases_left_out": len(study_cases) - len(cases),
            "non_inferiority_margin": margin,
        }
        if len(readers) < 2 or len(cases) < MIN_MRMC_CASES:
            rows.append(_abstained(base, TOO_FEW_CROSSED))
            continue
        design = crossed_design(
            (
                Reading(reader, arm, case, scores[(reader, case)][index])
                for reader in readers
                for case in cases
                for index, arm in enumerate((AI, REFERENCE))
            ),
            need_truth=False,
        )
        result = obuchowski_rockette(design, figure_of_merit="mean")
        analysis = result.random_readers_random_cases
        (difference,) = analysis.differences
        test = analysis.global_test
        rows.append(
            {
                **base,
                "ai_mean": result.modality_means[0],
                "reference_mean": result.modality_means[1],
                "estimate": difference.estimate,
                "se": difference.se,
                "ddf": difference.df,
                "ci_low": difference.ci_low,
                "ci_high": difference.ci_high,
                "p_value": difference.p_value,
                "f_statistic": None if test is None else test.statistic,
                "non_inferior": None
                if margin is None or difference.ci_low is None
                else difference.ci_low > -margin,
                "reason": difference.note,
                "components": _components(result),
            }
        )
    return rows


def blinding_auc_row(data: StudyData) -> dict:
    """Can readers tell the AI report? The empirical AUC of their signed "which is AI?" confidence
    (+c pointing at the AI report, -c at the reference, 0 unsure), each pair's two reports one
    jackknife unit; its random-readers random-cases interval and the test against chance (0.5)."""
    base = {"figure_of_merit": "AUC of which is AI", "readers": 0, "cases": 0}
    if not data.questionnaire.get("ask_ai_guess"):
        return _abstained(base, NO_GUESS_QUESTION)
    signed = {}
    read: dict[str, set[str]] = defaultdict(set)
    for reading in data.counted():
        guess = reading.answers.get("pair.ai_guess")
        if guess not in ("correct", "wrong", "unsure"):
            continue
        confidence = float(reading.answers.get("pair.ai_confidence") or DEFAULT_CONFIDENCE)
        signed[(reading.reader_id, reading.case_id)] = {"correct": confidence, "wrong": -confidence}.get(
            guess, 0.0
        )
        read[reading.reader_id].add(reading.case_id)
    readers, cases = crossed_block(read)
    base.update(readers=len(readers), cases=len(cases))
    if len(readers) < 2 or len(cases) < MIN_MRMC_CASES:
        return _abstained(base, TOO_FEW_CROSSED)
    try:
        design = crossed_design(
            (
                Reading(
                    reader,
                    "blinded reading",
                    f"{case}:{arm}",
                    sign * signed[(reader, case)],
                    truth,
                    unit=case,
                )
                for reader in readers
                for case in cases
                for arm, sign, truth in ((AI, 1, 1), (REFERENCE, -1, 0))
            ),
            need_truth=True,
        )
    except MrmcInputError as error:
        return _abstained(base, str(error))
    result = obuchowski_rockette(design, figure_of_merit="auc")
    (interval,) = result.random_readers_random_cases.modalities
    p_value = None
    if interval.se is not None and interval.df is not None:
        p_value = float(2 * stats.t.sf(abs(interval.estimate - CHANCE_AUC) / interval.se, interval.df))
    return {
        **base,
        "estimate": interval.estimate,
        "se": interval.se,
        "ddf": interval.df,
        "ci_low": interval.ci_low,
        "ci_high": interval.ci_high,
        "p_value": p_value,
        "reason": interval.note,
        "per_reader": dict(zip(result.readers, (row for row in result.fom[0]), strict=True)),
    }
