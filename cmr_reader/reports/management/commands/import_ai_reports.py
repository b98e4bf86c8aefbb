import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from cmr_reader.reports.ai_report_import import FORMATS, import_ai_reports
from cmr_reader.reports.report_files import ENCODING_NAMES, ReportFileError, file_format_for


class Command(BaseCommand):
    help = _(
        "Import AI reports made elsewhere (CSV, JSON Lines or XLSX), scrubbed and linked to cases, one "
        "imported generation run per model name and version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--input", required=True, type=Path, dest="input_file", help=_("The file to import.")
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            dest="file_format",
            help=_(
                "csv, jsonl or xlsx; by default from the file's extension (.csv, .jsonl, .ndjson, .xlsx)."
            ),
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the summary as JSON.")
        )

    def handle(
        self, *args, input_file: Path, file_format: str | None = None, as_json: bool = False, **options
    ):
        if not input_file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": input_file})
        file_format = file_format or file_format_for(input_file.name)
        if file_format is None:
            raise CommandError(
                _("Cannot tell the format from the name %(name)s: give --format csv, jsonl or xlsx.")
                % {"name": input_file.name}
            )
        try:
            data = input_file.read_bytes()
            summary = import_ai_reports(
                data=data, file_name=input_file.name, file_format=file_format, now=timezone.now()
            ).as_dict()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": input_file, "error": error}
            ) from error
        except ReportFileError as error:
            raise CommandError(str(error)) from error
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _("%(file)s (%(format)s, %(encoding)s, %(rows)d rows):")
            % {
                "file": summary["file"],
                "format": summary["format"],
                "encoding": ENCODING_NAMES[summary["encoding"]],
                "rows": summary["rows"],
            }
        )
        self.stdout.write(
            _("Imported %(imported)d AI reports, %(duplicates)d duplicates, %(rejected)d rejected.")
            % {
                "imported": summary["imported"],
                "duplicates": summary["duplicates"],
                "rejected": len(summary["rejected"]),
            }
        )
        for run in summary["runs"]:
            template = (
                _(
                    "  run %(id)d (new): %(model_name)s %(model_version)s, %(imported)d imported, %(duplicates)d duplicates"
                )
                if run["created"]
                else _(
                    "  run %(id)d: %(model_name)s %(model_version)s, %(imported)d imported, %(duplicates)d duplicates"
                )
            )
            self.stdout.write(template % run)
        for rejection in summary["rejected"]:
            self.stdout.write(_("  line %(line)d: %(reason)s") % rejection)
