import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.analysis.jsonable import json_ready
from cmr_reader.analysis.mrmc.design import MrmcInputError, crossed_design
from cmr_reader.analysis.mrmc.figures_of_merit import FIGURES_OF_MERIT
from cmr_reader.analysis.mrmc.mrmc_csv import read_mrmc_csv
from cmr_reader.analysis.mrmc.obuchowski_rockette import as_dict, obuchowski_rockette
from cmr_reader.analysis.mrmc_summary import summary_lines


class Command(BaseCommand):
    help = _(
        "Multi-reader multi-case analysis (Obuchowski-Rockette with Hillis's degrees of freedom) "
        "of a long CSV: reader, modality, case, truth (for the AUC), score."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--input",
            required=True,
            type=Path,
            help=_("CSV: reader, modality, case, [truth,] score[, unit]."),
        )
        parser.add_argument(
            "--fom", choices=FIGURES_OF_MERIT, default="auc", help=_("Figure of merit (default: auc).")
        )
        parser.add_argument("--confidence", type=float, default=0.95)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Write the full result as JSON.")
        )

    def handle(self, *args, input: Path, fom: str, confidence: float, as_json: bool, **options):
        if not input.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": input})
        if not 0 < confidence < 1:
            raise CommandError(_("--confidence must lie between 0 and 1"))
        try:
            readings = read_mrmc_csv(input, need_truth=fom == "auc")
            result = obuchowski_rockette(
                crossed_design(readings, need_truth=fom == "auc"), figure_of_merit=fom, confidence=confidence
            )
        except MrmcInputError as error:
            raise CommandError(f"{input}: {error}") from error
        if as_json:
            self.stdout.write(json.dumps(json_ready(as_dict(result)), indent=2))
        else:
            self.stdout.write("\n".join(summary_lines(result)))
