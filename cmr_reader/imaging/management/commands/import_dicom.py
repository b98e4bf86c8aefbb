import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job


class Command(BaseCommand):
    help = _("Import DICOM from folders, single files and .zip archives, de-identifying on the way in.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--json", action="store_true", dest="as_json", help=_("Print the summary as JSON."))

    def handle(self, *args, paths: list[Path], as_json: bool = False, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(_("No such file or folder: %(paths)s") % {"paths": ", ".join(missing)})
        job = create_paths_job(paths=[p.resolve() for p in paths])
        summary = run_import_job(job=job).as_dict()
        if as_json:
            self.stdout.write(_dumps(summary))
            return
        self.stdout.write(
            _(
                "Imported %(instances)d instances in %(series)d series of %(studies)d studies; "
                "%(duplicates)d duplicates skipped; %(rejected)d files rejected."
            )
            % {
                "instances": summary["instances_imported"],
                "series": summary["series"],
                "studies": summary["studies"],
                "duplicates": summary["duplicates_skipped"],
                "rejected": len(summary["rejected"]),
            }
        )
        for rejection in summary["rejected"]:
            self.stdout.write(f"  {rejection['file']}: {rejection['reason']}")


def _dumps(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
