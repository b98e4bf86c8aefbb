from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from cmr_reader.reports.report_uploads import discard_stale_uploads


class Command(BaseCommand):
    help = _(
        "Delete reports uploads previewed but never committed or discarded, older than "
        "REPORT_UPLOAD_MAX_AGE_HOURS (24 by default), with their staged files. For a daily cron job."
    )

    def handle(self, *args, **options):
        count = discard_stale_uploads(now=timezone.now())
        self.stdout.write(_("Discarded %(count)d stale uploads.") % {"count": count})
