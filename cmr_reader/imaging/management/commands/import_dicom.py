from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.imaging.management.import_summary import write_import_summary


class Command(BaseCommand):
    help = _("Import DICOM from folders, single files and .zip archives, de-identifying on the way in.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the summary as JSON.")
        )

    def handle(self, *args, paths: list[Path], as_json: bool = False, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(_("No such file or folder: %(paths)s") % {"paths": ", ".join(missing)})
        job = create_paths_job(paths=[p.resolve() for p in paths])
        summary = run_import_job(job=job).as_dict()
        write_import_summary(self.stdout, summary, as_json=as_json)
