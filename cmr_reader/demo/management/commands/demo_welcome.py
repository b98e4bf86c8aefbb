from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cmr_reader.demo.welcome import welcome_text
from cmr_reader.imaging.models import Case
from cmr_reader.studies.models import ReaderStudy


class Command(BaseCommand):
    help = _("Print where the demo runs and how to log in as each role (scripts/demo.sh runs it).")

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--password", required=True, help=_("The demo users' password."))

    def handle(self, *args, url: str, password: str, **options):
        studies = [
            f"“{name}”" for name in ReaderStudy.objects.order_by("name").values_list("name", flat=True)
        ]
        self.stdout.write(
            welcome_text(url=url, password=password, cases=Case.objects.count(), studies=studies)
        )
