import io
import itertools
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader import spreadsheet_csv
from cmr_reader.analysis.entity_tables import TABLE_COLUMNS, report_metric_tables
from cmr_reader.analysis.study_data import collect_study, report_pairs
from cmr_reader.analysis.tabular import dict_table
from cmr_reader.studies.lookup import find_study


class Command(BaseCommand):
    help = _(
        "Entity-level accuracy, critical errors, Bland-Altman, diagnostic agreement and text similarity of "
        "a study's AI reports against its reference reports."
    )

    def add_arguments(self, parser):
        parser.add_argument("--study", required=True, help=_("Study id or name."))
        parser.add_argument("--format", choices=("json", "csv"), default="json", dest="output_format")
        parser.add_argument(
            "--table",
            choices=tuple(TABLE_COLUMNS),
            default="entity_accuracy",
            help=_("With --format csv: which table to print."),
        )

    def handle(self, *args, study: str, output_format: str, table: str, **options):
        reader_study = find_study(study)
        if reader_study is None:
            raise CommandError(_("No study %(study)s.") % {"study": study})
        tables = report_metric_tables(report_pairs(collect_study(reader_study)))
        if output_format == "json":
            self.stdout.write(json.dumps(tables, indent=2, ensure_ascii=False))
            return
        columns = tuple(c for c in TABLE_COLUMNS[table] if c != "points")
        buffer = io.StringIO()
        rows = dict_table(table, columns, tables[table]).rows()
        spreadsheet_csv.write_rows(itertools.chain([columns], rows), buffer, byte_order_mark=False)
        self.stdout.write(buffer.getvalue(), ending="")
