"""Method descriptions, conclusions and tolerances of an analysis run, shown in the active language.

The statistics write these sentences in English into the stored results (the bundle's language).
They come from a bounded set of phrases joined by "; ", some with numbers in them, for example

    lower bound of the 95% interval > margin; interval: case-resampling percentile bootstrap
    (Efron & Tibshirani 1993, ch. 13), B=2000, seed=1; unit: this reader's per-case differences

``translate_sentence`` splits such a text at "; " outside parentheses, and translates each phrase
that is a known message, or that matches a known message with ``%(name)s`` parameters (whose values
are translated the same way, so "interval: <method>" translates the method too). A phrase it does
not know (a library's error text, a tool's settings) is kept as it is, so nothing is ever lost.
"""

from functools import cache

from django.utils.translation import gettext_noop, pgettext

from cmr_reader.stored_text import StoredMessages

SEPARATOR = "; "
# Placeholders that only ever hold a number (or a percentage) match only that, so a pattern such
# as "%(count)s non-zero differences" cannot swallow a longer phrase.
NUMERIC = {"count", "low", "margin", "b", "seed", "level", "limit", "value"}

PHRASES = (
    # Agreement intervals (agreement/*.py).
    gettext_noop("F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996, Table 7)"),
    gettext_noop("Gwet (2008) variance conditional on the raters"),
    gettext_noop("Gwet (2014) variance over subjects"),
    gettext_noop("Student t with n-1 df"),
    gettext_noop("upper bound capped at 1"),
    gettext_noop("bounds capped to [0, 1]"),
    gettext_noop("Wald, Fleiss-Cohen-Everitt (1969) non-null standard error"),
    gettext_noop("normal quantile"),
    gettext_noop("alpha has no analytic standard error"),
    gettext_noop("alpha is undefined when the pairable ratings do not vary (no expected disagreement)"),
    gettext_noop("use the bootstrap"),
    gettext_noop("the pairwise kappas are correlated"),
    gettext_noop("bootstrap subjects for an interval"),
    gettext_noop("kappa is undefined when every score is the same"),
    gettext_noop("kappa is undefined when chance agreement is 1"),
    gettext_noop("fewer than two subjects"),
    gettext_noop("fewer than two subjects scored by both raters"),
    gettext_noop("the subjects' mean ratings do not vary"),
    gettext_noop("the ICC's denominator is zero for these mean squares"),
    gettext_noop(
        "McGraw & Wong's absolute-agreement interval is undefined for these mean squares "
        "(a non-positive denominator or Satterthwaite df, or inverted bounds)"
    ),
    gettext_noop("no standard error for unanimous agreement"),
    gettext_noop("se is the Fleiss-Nee-Landis (1979) standard error under H0 kappa = 0"),
    gettext_noop("use z = estimate / se for a test, fleiss_kappa_generalized for an interval"),
    gettext_noop("percent agreement needs at least one subject scored by two or more raters"),
    gettext_noop("Fleiss' kappa needs at least one subject scored by two or more raters"),
    gettext_noop("Krippendorff's alpha needs at least one subject rated by two or more raters"),
    gettext_noop("Gwet's AC needs at least one subject rated by two or more raters"),
    # AI versus reference (comparison/*.py).
    gettext_noop("mean, SD (ddof=1), type-7 quartiles (Hyndman & Fan 1996), counts over the declared scale"),
    gettext_noop("mean, SD (ddof=1) and median of AI minus reference"),
    gettext_noop("counts of AI-minus-reference differences > 0, = 0, < 0 over non-missing cases"),
    gettext_noop("unit: per-case differences averaged over the readers who scored both arms"),
    gettext_noop("unit: this reader's per-case differences"),
    gettext_noop("normal approximation with continuity correction"),
    gettext_noop("no non-zero differences"),
    gettext_noop("no interval: no bootstrap replicates requested (B = 0)"),
    gettext_noop("LMM score ~ ai + (1|case) + (1|reader), REML, statsmodels MixedLM with vc_formula"),
    gettext_noop(
        "LMM score ~ ai + C(reader) + (1|case), readers as fixed effects, REML, statsmodels MixedLM groups=case"
    ),
    gettext_noop("Wald z"),
    gettext_noop("both arms needed"),
    gettext_noop("both arms and two score levels needed"),
    gettext_noop("exchangeable"),
    gettext_noop("independence"),
    gettext_noop("undecided: no paired cases"),
    gettext_noop("undecided: %(count)s paired cases, fewer than %(limit)s"),
    gettext_noop("not assessed: needs bootstrap replicates"),
    gettext_noop("Wilson score interval without continuity correction (Wilson 1927; Newcombe 1998 method 3)"),
    gettext_noop("errors of this category over the arm's judged reports (n)"),
    gettext_noop(
        "exact binomial test, two-sided (scipy.stats.binomtest), Clopper-Pearson interval against 0.5"
    ),
    gettext_noop("unsure answers left out"),
    gettext_noop("reports with >= 1 clinically significant error"),
    # Report entities and diagnoses (analysis/entity_tables.py).
    gettext_noop("pair_metrics: accuracy = correct / (correct + wrong + omitted)"),
    gettext_noop(
        "precision = TP / (TP + FP), recall = TP / (TP + FN), TP = correct, FP = wrong + added, FN = wrong + omitted"
    ),
    gettext_noop("MAE = mean |AI - reference| over pairs stating both"),
    gettext_noop("micro: counts pooled over all fields, then the per-field formulas"),
    gettext_noop("no MAE across units"),
    gettext_noop(
        "macro: unweighted mean of per-field precision, recall and F1 over the fields where each is "
        "defined (F1 is the mean of per-field F1)"
    ),
    gettext_noop("pair_metrics defines no macro accuracy"),
    gettext_noop("exact category match ('uncertain' matches only 'uncertain')"),
    gettext_noop("pairs with the error / all pairs"),
    gettext_noop("no interval"),
    gettext_noop("pairs whose reference states a diagnosis"),
    gettext_noop("an unstated AI diagnosis is not HCM"),
    gettext_noop("pairs whose reference states obstruction either way (hcm_obstruction or lvot_obstruction)"),
    gettext_noop("an AI report saying neither is non-obstructive"),
    gettext_noop("trace / n over the 7 declared diagnoses, pairs stating one on both sides"),
    gettext_noop(
        "unweighted Cohen (1960) kappa over the 7 declared diagnoses, pairs stating one on both sides"
    ),
    gettext_noop("corpus BLEU-4 on a 0-1 scale"),
    gettext_noop("mean per-pair ROUGE-L F1"),
    gettext_noop("corpus chrF on a 0-1 scale"),
    # MRMC (mrmc/obuchowski_rockette.py, study_mrmc.py).
    gettext_noop("needs two readers or more"),
    gettext_noop("needs two modalities or more"),
    gettext_noop("undefined: the error term is not positive (no variation between readers or cases)"),
    gettext_noop("the study does not ask readers which report is the AI one"),
    # Study planning (mrmc/planning.py).
    gettext_noop("the pilot must compare exactly two modalities"),
    gettext_noop("the pilot needs two readers or more"),
    gettext_noop("a study needs two readers and two cases or more"),
    gettext_noop("the pilot shows no variance between readers or cases"),
    gettext_noop("the non-inferiority margin must be positive"),
    gettext_noop("give a non-inferiority margin or a difference to detect"),
)

# Tried in this order; each must match a whole phrase.
PATTERNS = (
    gettext_noop("none: %(reason)s"),
    gettext_noop("interval: %(method)s"),
    gettext_noop("per-category %(method)s"),
    gettext_noop("Wilcoxon signed-rank, two-sided, zero_method=%(zero_method)s (scipy.stats.wilcoxon)"),
    gettext_noop("%(count)s non-zero differences"),
    gettext_noop(
        "case-resampling percentile bootstrap (Efron & Tibshirani 1993, ch. 13), B=%(b)s, seed=%(seed)s"
    ),
    gettext_noop("lower bound of the %(level)s interval > margin"),
    gettext_noop(
        "ordinal GEE, cumulative logit, clustered by case, %(structure)s working correlation, robust SE"
    ),
    gettext_noop("at least %(count)s cases needed"),
    gettext_noop("not estimable: %(error)s"),
    gettext_noop("one reader: no reader variance component"),
    gettext_noop("separation: the arms' scores do not overlap, so the log-odds ratio is infinite"),
    gettext_noop("separation: the fit diverged (|log-odds| > %(limit)s)"),
    gettext_noop("boundary fit: %(components)s variance 0 at the REML optimum"),
    gettext_noop("no optimiser reported reaching the best REML log-likelihood found"),
    gettext_noop(
        "fitted instead of the crossed LMM (1|case) + (1|reader) because the criterion has %(count)s cases "
        "> mixed_model_max_cases=%(limit)s"
    ),
    gettext_noop("non-inferior: lower bound %(low)s > margin %(margin)s"),
    gettext_noop("non-inferiority not shown: lower bound %(low)s <= margin %(margin)s"),
    gettext_noop("Wilson score %(level)s interval"),
    gettext_noop("trace / n over %(scope)s"),
    gettext_noop("each field's own rule (tolerances %(version)s)"),
    gettext_noop("|AI - reference| <= %(tolerance)s (tolerances %(version)s)"),
    gettext_noop("%(tolerance)s and on the same side of %(thresholds)s"),
    gettext_noop("%(value)s percentage points"),
    gettext_noop("fewer than %(count)s cases were read by two readers or more in common"),
)


def translate_sentence(text: str | None) -> str | None:
    """``text`` (a stored method, conclusion or tolerance) in the active language, phrase by phrase."""
    if not text:
        return text
    messages = _messages()
    return SEPARATOR.join(messages.translate(part) or part for part in _phrases(text))


def _thresholds(value: str) -> str:
    """Thresholds written as "15 mm and 30 mm", joined in the active language."""
    return pgettext("list of thresholds", " and ").join(value.split(" and "))


@cache
def _messages() -> StoredMessages:
    return StoredMessages(PHRASES + PATTERNS, numeric=NUMERIC, values={"thresholds": _thresholds})


def _phrases(text: str) -> list[str]:
    """``text`` split at each "; " outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for index, character in enumerate(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        elif depth == 0 and text.startswith(SEPARATOR, index):
            parts.append(text[start:index])
            start = index + len(SEPARATOR)
    parts.append(text[start:])
    return parts
