from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.domain.synthetic import write_cases


class Command(BaseCommand):
    help = _("Write synthetic CMR studies (DICOM plus ground_truth.json), one folder per case.")

    def add_arguments(self, parser):
        parser.add_argument(
            "out_dir", type=Path, help=_("Folder to write the cases into (created if missing).")
        )
        parser.add_argument("--cases", type=int, default=4, help=_("How many cases to write."))
        parser.add_argument(
            "--seed", type=int, default=0, help=_("Seed; the same seed writes identical files.")
        )
        parser.add_argument("--matrix", type=int, default=None, help=_("Override the image matrix (pixels)."))
        parser.add_argument("--phases", type=int, default=None, help=_("Override the number of cine phases."))

    def handle(
        self, *args, out_dir: Path, cases: int, seed: int, matrix: int | None, phases: int | None, **options
    ):
        if cases < 1:
            raise CommandError(_("--cases must be at least 1."))
        folders = write_cases(out_dir, cases=cases, seed=seed, matrix=matrix, phases=phases)
        for folder in folders:
            self.stdout.write(str(folder))
        self.stdout.write(
            _("Wrote %(count)d synthetic cases to %(path)s.")
            % {"count": len(folders), "path": out_dir.resolve()}
        )
