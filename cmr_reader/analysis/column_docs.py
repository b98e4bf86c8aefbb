"""What every column of the export bundle means and how its numbers are made.

Written into export_metadata.json, so a bundle explains itself away from this site; the
statistician's guide (docs/guides/statistician.md) says the same at more length.
"""

from django.utils.translation import gettext_lazy as _

METHOD_NOTES = {
    "weights": _(
        "Agreement weights are built from the declared scale (1..5), never from the levels that occur: "
        "linear w = 1 - |i - j| / 4 (Cicchetti & Allison 1971), quadratic w = 1 - ((i - j) / 4)^2 "
        "(Fleiss & Cohen 1973)."
    ),
    "blinding": _(
        "Each case shows two reports side by side as A (left) and B (right); which side holds the AI report "
        "is drawn per reading by the study's seeded design and is never shown to readers. Both reports are "
        "shown in one display form (Findings and Impression in the report's language, one sentence a line; "
        "indication, history, technique and comparison sections, sentences about earlier examinations or with "
        "removed identifiers, signatures and titles withheld from both). The blinding audit "
        "(blinding_audit.json) gives a cross-validated classifier's accuracy in telling the AI report by form. "
        "Answers are stored by side and unblinded only in exports."
    ),
    "randomisation": _(
        "Cases are allocated to readers from the design seed; overlap cases are read by every reader; a share "
        "of cases is read again after the washout, with the AI report on the other side. The AI report's side "
        "follows the study's side_scheme: big_stick, a fair coin per reading along each reader's list unless "
        "the reader's imbalance has reached 4 (Soares & Wu 1983); balanced (older studies), within one per "
        "reader and per case."
    ),
    "bootstrap": _(
        "Case-resampling (cluster) bootstrap: cases are drawn with replacement with all their readers' "
        "scores; 95% percentile intervals; every table uses the same seed and number of replicates."
    ),
    "ci_methods": {
        "percent_agreement": _(
            "Gwet (2014) variance over subjects, Student t with n - 1 df, bounds capped to [0, 1]."
        ),
        "cohen_kappa": _(
            "Asymptotic SE of Fleiss, Cohen & Everitt (1969), Wald interval; none for Light's mean."
        ),
        "fleiss_kappa": _(
            "SE under the null of no agreement only; use the bootstrap interval for inference."
        ),
        "krippendorff_alpha": _("No analytic interval; use the bootstrap interval."),
        "gwet_ac1": _("Gwet (2008) variance conditional on the raters, Student t with n - 1 df."),
        "gwet_ac2": _("Gwet (2008) variance conditional on the raters, Student t with n - 1 df."),
        "icc": _("F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996, Table 7)."),
        "comparison": _(
            "Wilcoxon signed-rank (scipy), case-cluster bootstrap for mean differences, Wald intervals for the "
            "mixed and ordinal GEE models, Wilson intervals for proportions, exact binomial test for AI guesses, "
            "Holm adjustment across criteria."
        ),
        "mrmc": _(
            "Obuchowski-Rockette (1995) with Hillis (2007) degrees of freedom and jackknife covariances, random "
            "readers and random cases, on the largest fully crossed block of readers and cases."
        ),
    },
}

_AGREEMENT = {
    "criterion": _("Criterion key."),
    "arm": _("Which report was scored: reference (radiologist) or ai."),
    "coefficient": _(
        "percent_agreement, cohen_kappa, fleiss_kappa, krippendorff_alpha, gwet_ac1, gwet_ac2 or icc."
    ),
    "weights": _("none, linear or quadratic agreement weights (kappa, AC1/AC2)."),
    "level": _("Krippendorff's alpha metric: nominal, ordinal, interval or ratio."),
    "form": _("Shrout-Fleiss ICC form: ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k."),
    "raters": _("For Cohen's kappa: the reader pair r1|r2, or light_mean for Light's mean over pairs."),
    "tolerance": _("Percent agreement: 0 = exact, 1 = within one point."),
    "estimate": _("The coefficient."),
    "se": _("Its standard error, where an analytic one exists."),
    # xgettext:no-python-format ("95% i" is not a format directive)
    "ci_low": _("Lower bound of the analytic 95% interval."),
    # xgettext:no-python-format ("95% i" is not a format directive)
    "ci_high": _("Upper bound of the analytic 95% interval."),
    "ci_method": _("How the analytic interval was made, or why there is none."),
    "n_subjects": _("Cases that entered the coefficient."),
    "n_raters": _("Readers that entered the coefficient."),
    "n_ratings": _("Non-missing scores used."),
    "landis_koch": _("Landis & Koch (1977) band of the estimate (chance-corrected coefficients only)."),
    # xgettext:no-python-format ("95% i" is not a format directive)
    "bootstrap_ci_low": _("Lower bound of the 95% case-resampling percentile interval."),
    # xgettext:no-python-format ("95% i" is not a format directive)
    "bootstrap_ci_high": _("Upper bound of the 95% case-resampling percentile interval."),
    "bootstrap_b": _("Bootstrap replicates."),
    "bootstrap_seed": _("Seed of numpy.random.default_rng for the replicates."),
}

COLUMN_DOCS = {
    "ratings_long": {
        "study": _("Study name."),
        "case_id": _("Pseudonymous case id."),
        "reader_id": _("Reader's user name."),
        "assignment": _("Opaque id of the reading (reader x case x read)."),
        "arm": _("reference (radiologist's report) or ai (generated report)."),
        "report_id": _("The scored report's id in the site."),
        "model_version": _(
            "For the AI arm: the generating model and the first 12 hex digits of its checkpoint hash."
        ),
        "presentation_side": _("A (left) or B (right): where the reader saw this report."),
        "criterion": _("Criterion key (wording in export_metadata.json)."),
        "score": _("1-5; empty when not answered."),
        "is_overlap": _("1 when the case is read by every reader."),
        "is_repeat": _("1 for a washout repeat reading (excluded from the statistics)."),
        "submitted": _("1 when the reader submitted the case."),
        "counted": _("1 when the reading enters the statistics (submitted first read)."),
        "opened_at": _("When the reader first opened the case (ISO 8601, UTC)."),
        "submitted_at": _("When the reader submitted it (ISO 8601, UTC)."),
        "active_seconds": _("Seconds the reading page was in use (idle time excluded)."),
        "preference": _("Preferred report of the pair: ai, reference or equal (same on both arms' rows)."),
        "ai_guess": _("Which report the reader took for the AI one: correct, wrong or unsure."),
        "ai_confidence": _("Confidence of that guess, 1-5."),
        "error": _("1 when the reader flagged a clinically significant error in this report."),
        "error_categories": _("Its categories, separated by semicolons."),
    },
    "ratings_wide_by_item": {
        "<criterion>_<arm>": _("The reading's score of that criterion for that arm."),
        "reference_error": _("1 when the reference report was flagged with a clinically significant error."),
        "ai_error": _("1 when the AI report was flagged."),
    },
    "ratings_wide_by_reader": {
        "<reader>": _(
            "Counted readings only: that reader's score of the case, empty when not scored (irr format)."
        ),
    },
    "agreement_by_criterion": _AGREEMENT,
    "pairwise_reader_kappa": _AGREEMENT,
    "ai_vs_reference_summary": {
        "scope": _("pooled (all readers) or reader."),
        "analysis": _(
            "descriptives, paired_difference, wilcoxon, bootstrap_mean_difference, non_inferiority, "
            "mixed_model or ordinal_gee."
        ),
        "estimate": _(
            "Mean AI-minus-reference difference, or the model's AI effect (points; log-odds for ordinal_gee)."
        ),
        "p_holm": _("Holm-adjusted p across criteria within the same analysis and scope."),
        "wins": _("Cases where AI scored higher (per reader, or on reader-averaged scores when pooled)."),
        "margin": _(
            "Non-inferiority bound in score points (minus the study's margin): AI is non-inferior when the lower bound of the mean difference lies above it."
        ),
        "conclusion": _("Non-inferiority conclusion."),
        "converged": _("Whether the model's optimiser converged."),
        "method": _("Exact method, test options and model formula."),
    },
    "score_distribution": {
        "reader_id": _("Empty for all readers together."),
        "count": _("Counted scores at this point of the scale."),
        "proportion": _("Share of the non-missing scores."),
    },
    "confusion_tables": {
        "score_1": _("Score of reader_1."),
        "score_2": _("Score of reader_2."),
        "count": _("Cases both scored, with these two scores."),
    },
    "pair_items": {
        "item": _("preference, ai_guess, ai_errors or reference_errors."),
        "category": _(
            "Answer category: ai, equal or reference (preference); correct or unsure (ai_guess); any_error or "
            "an error category (errors)."
        ),
        "estimate": _("Proportion; for ai_guess the accuracy among decided guesses."),
        "p_value": _("ai_guess: exact binomial test against 50%."),
    },
    "mrmc_ai_vs_reference": {
        "figure_of_merit": _("mean score: each reader's mean Likert score per arm over the block's cases."),
        "readers": _("Readers in the fully crossed block (every one read every case of it)."),
        "cases": _("Cases in the block."),
        "cases_left_out": _("Counted cases outside the block (not read by all of its readers)."),
        "estimate": _("AI minus reference, reader-averaged mean score."),
        "se": _("Obuchowski-Rockette standard error, random readers and random cases."),
        "ddf": _("Hillis (2007) denominator degrees of freedom."),
        "p_value": _("Two-sided t test of no difference with ddf degrees of freedom."),
        "non_inferior": _("Whether the lower 95% bound lies above minus the study's margin."),
        "var_tr": _(
            "OR modality-by-reader variance (can be negative); with var_error and cov1-3 the pilot input of study planning."
        ),
    },
    "mrmc_which_is_ai_auc": {
        "estimate": _(
            "Empirical AUC of the readers' signed 'which is AI?' confidence (0.5 = cannot tell); both reports of a "
            "case are one jackknife unit."
        ),
        "p_value": _("Two-sided t test of AUC = 0.5 with Hillis's single-modality degrees of freedom."),
    },
    "readers": {
        "counted": _("Readings that enter the statistics."),
        "median_active_seconds": _("Median reading time over submitted readings."),
    },
    "cases": {
        "patient_age_years": _(
            "Patient's age in years from the DICOM Age String (months, weeks and days as fractions); empty when "
            "missing or malformed."
        ),
        "readings_counted": _("Readings of this case that enter the statistics."),
    },
}
