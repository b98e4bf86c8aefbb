from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.analysis.mrmc.design import MrmcInputError, crossed_design
from cmr_reader.analysis.mrmc.figures_of_merit import FIGURES_OF_MERIT
from cmr_reader.analysis.mrmc.mrmc_csv import read_mrmc_csv
from cmr_reader.analysis.mrmc.obuchowski_rockette import obuchowski_rockette
from cmr_reader.analysis.mrmc.planning import PilotComponents, PlanningError
from cmr_reader.analysis.study_planning import plan_lines, plan_rows


def _reader_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise CommandError(_("--readers takes whole numbers separated by commas, e.g. 3,4,6")) from None
    if not counts or counts[0] < 2:
        raise CommandError(_("--readers needs counts of two readers or more"))
    return counts


class Command(BaseCommand):
    help = _(
        "Cases needed per number of readers for a non-inferiority margin (or a difference) and a "
        "power, from a pilot's Obuchowski-Rockette variance components (Hillis et al. 2011)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--input", required=True, type=Path, help=_("The pilot's CSV, as manage.py mrmc reads it.")
        )
        parser.add_argument(
            "--fom", choices=FIGURES_OF_MERIT, default="mean", help=_("Figure of merit (default: mean).")
        )
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--margin", type=float, help=_("Non-inferiority margin, in the figure of merit's units.")
        )
        target.add_argument("--effect", type=float, help=_("Difference to detect with a two-sided test."))
        parser.add_argument(
            "--true-difference", type=float, default=0.0, help=_("Assumed true difference (non-inferiority).")
        )
        parser.add_argument("--readers", default="3,4,5,6,8,10", help=_("Reader counts to plan for."))
        parser.add_argument("--power", type=float, default=0.8)
        parser.add_argument(
            "--alpha", type=float, default=None, help=_("Default: 0.025 one-sided, 0.05 two-sided.")
        )

    def handle(
        self, *args, input: Path, fom: str, margin, effect, true_difference, readers, power, alpha, **options
    ):
        if not input.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": input})
        if not 0 < power < 1:
            raise CommandError(_("--power must lie between 0 and 1"))
        try:
            readings = read_mrmc_csv(input, need_truth=fom == "auc")
            result = obuchowski_rockette(
                crossed_design(readings, need_truth=fom == "auc"), figure_of_merit=fom
            )
            pilot = PilotComponents.from_result(result)
            rows = plan_rows(
                pilot,
                readers=_reader_counts(readers),
                margin=margin,
                effect=effect,
                true_difference=true_difference,
                target=power,
                alpha=alpha,
            )
        except (MrmcInputError, PlanningError) as error:
            raise CommandError(f"{input}: {error}") from error
        self.stdout.write("\n".join(plan_lines(pilot, rows, target=power)))
