from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cmr_reader.accounts.demo_users import create_demo_users
from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.synthetic import write_cases


class Command(BaseCommand):
    help = _("Create the demo users and import synthetic CMR cases. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help=_("Password for every demo user."))
        parser.add_argument("--cases", type=int, default=6, help=_("Number of synthetic cases."))
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, password: str, cases: int, seed: int, **options):
        users = create_demo_users(password=password)
        self.stdout.write(_("Demo users: %(users)s") % {"users": ", ".join(users)})
        # Same seed, same bytes: a second run regenerates identical files, which import as
        # duplicates, so the demo never grows by running the command again.
        out_dir = Path(settings.DATA_DIR) / "demo-cases" / f"seed-{seed}"
        case_dirs = write_cases(out_dir, cases=cases, seed=seed)
        job = create_paths_job(paths=case_dirs)
        summary = run_import_job(job=job)
        self.stdout.write(
            _("Synthetic cases: %(new)d instances imported, %(dup)d already present, %(bad)d rejected.")
            % {
                "new": summary.instances_imported,
                "dup": summary.duplicates_skipped,
                "bad": len(summary.rejected),
            }
        )
