"""An MRMC result as lines of text in the active language, for the ``mrmc`` command and the
methods-and-results draft. The numbers keep the precision OR-DBM MRMC prints, so the two can be
compared line by line."""

from django.utils.translation import gettext as _

from cmr_reader.analysis.mrmc.obuchowski_rockette import Analysis, Difference, MrmcResult


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _df(value: float | None) -> str:
    if value is None:
        return "z"
    return "inf" if value == float("inf") else f"{value:.2f}"


def _difference_line(difference: Difference, level: str) -> str:
    who = _("reader %(reader)s: ") % {"reader": difference.reader} if difference.reader else ""
    if difference.se is None:
        return f"  {who}{difference.first} - {difference.second} = {_number(difference.estimate, 5)} ({difference.note})"
    return _(
        "  %(who)s%(first)s - %(second)s = %(estimate)s, SE %(se)s, df %(df)s, p %(p)s, %(level)s CI [%(low)s, %(high)s]"
    ) % {
        "who": who,
        "first": difference.first,
        "second": difference.second,
        "estimate": _number(difference.estimate, 5),
        "se": _number(difference.se, 5),
        "df": _df(difference.df),
        "p": _number(difference.p_value),
        "level": level,
        "low": _number(difference.ci_low, 5),
        "high": _number(difference.ci_high, 5),
    }


def _analysis_lines(analysis: Analysis, title: str, level: str) -> list[str]:
    lines = [title]
    lines += [f"  {note}" for note in analysis.notes]
    test = analysis.global_test
    if test is not None:
        if test.statistic is None:
            lines.append(_("  global test: %(note)s") % {"note": test.note})
        elif test.distribution == "F":
            lines.append(
                _("  F(%(df1)s, %(df2)s) = %(f)s, p = %(p)s (error term %(error)s)")
                % {
                    "df1": test.df1,
                    "df2": _df(test.df2),
                    "f": _number(test.statistic),
                    "p": _number(test.p_value),
                    "error": _number(test.error_term, 8),
                }
            )
        else:
            lines.append(
                _("  X2(%(df1)s) = %(x2)s, p = %(p)s (error term %(error)s)")
                % {
                    "df1": test.df1,
                    "x2": _number(test.statistic, 5),
                    "p": _number(test.p_value),
                    "error": _number(test.error_term, 8),
                }
            )
    lines += [_difference_line(difference, level) for difference in analysis.differences]
    for interval in analysis.modalities:
        if interval.se is None:
            lines.append(f"  {interval.modality}: {_number(interval.estimate, 8)} ({interval.note})")
            continue
        lines.append(
            _("  %(modality)s: %(estimate)s, SE %(se)s, df %(df)s, %(level)s CI [%(low)s, %(high)s]")
            % {
                "modality": interval.modality,
                "estimate": _number(interval.estimate, 8),
                "se": _number(interval.se, 8),
                "df": _df(interval.df),
                "level": level,
                "low": _number(interval.ci_low, 8),
                "high": _number(interval.ci_high, 8),
            }
        )
    lines += [_difference_line(difference, level) for difference in analysis.reader_differences]
    return lines


def summary_lines(result: MrmcResult) -> list[str]:
    """The design, the figures of merit, the OR components and the three analyses."""
    level = f"{result.confidence:.0%}"
    fom_name = _("empirical AUC") if result.figure_of_merit == "auc" else _("mean score")
    lines = [
        _("MRMC analysis (Obuchowski-Rockette, Hillis ddf, jackknife covariances) of the %(fom)s")
        % {"fom": fom_name},
        _("%(modalities)s modalities, %(readers)s readers, %(cases)s cases (%(units)s jackknife units)")
        % {
            "modalities": len(result.modalities),
            "readers": len(result.readers),
            "cases": result.n_cases,
            "units": result.n_units,
        },
    ]
    if result.n_truth_0 is not None:
        lines.append(
            _("truth 0: %(normal)s cases, truth 1: %(abnormal)s cases")
            % {"normal": result.n_truth_0, "abnormal": result.n_truth_1}
        )
    lines.append(_("Figure of merit per reader (rows) and modality (columns):"))
    lines.append("  " + "\t".join(["", *result.modalities]))
    for r, reader in enumerate(result.readers):
        lines.append("  " + "\t".join([reader, *(_number(row[r], 8) for row in result.fom)]))
    c = result.covariances
    lines.append(
        _("Var(error) %(var)s, Cov1 %(cov1)s, Cov2 %(cov2)s, Cov3 %(cov3)s")
        % {
            "var": _number(c.var_error, 8),
            "cov1": _number(c.cov1, 8),
            "cov2": _number(c.cov2, 8),
            "cov3": _number(c.cov3, 8),
        }
    )
    if result.components is not None:
        lines.append(
            _("Var(R) %(var_r)s, Var(T*R) %(var_tr)s")
            % {"var_r": _number(result.components.var_r, 8), "var_tr": _number(result.components.var_tr, 8)}
        )
    lines += _analysis_lines(result.random_readers_random_cases, _("Random readers and random cases:"), level)
    lines += _analysis_lines(result.fixed_readers_random_cases, _("Fixed readers and random cases:"), level)
    lines += _analysis_lines(result.random_readers_fixed_cases, _("Random readers and fixed cases:"), level)
    return lines
