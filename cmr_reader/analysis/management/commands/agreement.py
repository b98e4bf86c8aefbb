import io
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader import spreadsheet_csv
from cmr_reader.analysis.agreement.ratings_csv import RatingsFileError, read_ratings_csv
from cmr_reader.analysis.agreement.table import agreement_table
from cmr_reader.analysis.tabular import dict_table
from cmr_reader.analysis.xlsx_stream import write_workbook


class Command(BaseCommand):
    help = _("Inter-reader agreement per criterion and arm from a long-format ratings CSV.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--input", required=True, type=Path, help=_("CSV: case_id, reader_id, criterion, score[, arm].")
        )
        parser.add_argument("--format", choices=("json", "csv", "xlsx"), default="json", dest="output_format")
        parser.add_argument("--scale-min", type=int, default=1)
        parser.add_argument("--scale-max", type=int, default=5)
        parser.add_argument("--bootstrap", type=int, default=0, help=_("Bootstrap replicates (0: none)."))
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--output", type=Path, default=None, help=_("Write here instead of stdout."))

    def handle(
        self,
        *args,
        input: Path,
        output_format: str,
        scale_min: int,
        scale_max: int,
        bootstrap: int,
        seed: int | None,
        output: Path | None,
        **options,
    ):
        if not input.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": input})
        if bootstrap < 0:
            raise CommandError(_("--bootstrap must be 0 or more replicates"))
        if output_format == "xlsx" and not output:
            raise CommandError(_("--format xlsx needs --output: a workbook is not written to the terminal"))
        try:
            rows = read_ratings_csv(input, scale_min=scale_min, scale_max=scale_max)
            table = agreement_table(
                rows, scale_min=scale_min, scale_max=scale_max, bootstrap=bootstrap, seed=seed
            )
        except (RatingsFileError, ValueError) as error:
            raise CommandError(f"{input}: {error}") from error

        if output_format == "xlsx":
            columns = tuple(table[0]) if table else ()
            with output.open("wb") as target:
                write_workbook([dict_table("agreement", columns, table)], target)
            return
        if output_format == "json":
            text = json.dumps(table, indent=2) + "\n"
        else:
            buffer = io.StringIO()
            columns = list(table[0]) if table else []
            rows = ([row.get(column) for column in columns] for row in table)
            # No byte-order mark: the same text goes to the terminal when there is no --output.
            spreadsheet_csv.write_rows([columns, *rows], buffer, byte_order_mark=False)
            text = buffer.getvalue()
        if output:
            output.write_text(text, encoding="utf-8", newline="")
        else:
            self.stdout.write(text, ending="")
