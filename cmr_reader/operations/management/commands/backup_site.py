from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.operations.backup import BackupError, backup_site


class Command(BaseCommand):
    help = _("Back up the database and the media files (DICOM, analysis bundles) into one tar archive.")

    def add_arguments(self, parser):
        parser.add_argument(
            "output", type=Path, help=_("The archive to write, e.g. /backups/cmr-2026-11-28.tar")
        )

    def handle(self, *args, output: Path, **options):
        try:
            summary = backup_site(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Backed up the %(vendor)s database and %(files)d media files (%(mib).1f MiB) to %(path)s.")
            % {
                "vendor": summary.vendor,
                "files": summary.files,
                "mib": summary.bytes / 2**20,
                "path": summary.path,
            }
        )
