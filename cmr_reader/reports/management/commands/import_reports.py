import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.reports.report_import import ReportFileError, import_reference_reports


class Command(BaseCommand):
    help = _("Import reference reports from a CSV export, scrubbing identifiers and linking them to cases.")

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the summary as JSON.")
        )

    def handle(self, *args, csv_file: Path, as_json: bool = False, **options):
        if not csv_file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": csv_file})
        try:
            # newline="" lets the csv module see line breaks inside quoted report text.
            with csv_file.open(encoding="utf-8-sig", newline="") as stream:
                summary = import_reference_reports(stream=stream).as_dict()
        except ReportFileError as error:
            raise CommandError(str(error)) from error
        except UnicodeDecodeError as error:
            raise CommandError(_("The file is not UTF-8 text: %(error)s") % {"error": error}) from error
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _("Imported %(imported)d reports, %(duplicates)d duplicates, %(rejected)d rejected.")
            % {
                "imported": summary["imported"],
                "duplicates": summary["duplicates"],
                "rejected": len(summary["rejected"]),
            }
        )
        for rejection in summary["rejected"]:
            self.stdout.write(_("  line %(line)d: %(reason)s") % rejection)
