from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.operations.backup import BackupError, restore_site


class Command(BaseCommand):
    help = _(
        "Restore the database and the media files from a backup_site archive. Every checksum is verified "
        "first; a database that already holds data is refused unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help=_("Replace a database that already holds data.")
        )

    def handle(self, *args, archive: Path, force: bool, **options):
        if not archive.is_file():
            raise CommandError(_("No such archive: %(path)s") % {"path": archive})
        try:
            summary = restore_site(archive, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Restored the %(vendor)s database and %(files)d media files from %(path)s.")
            % {"vendor": summary.vendor, "files": summary.files, "path": summary.path}
        )
