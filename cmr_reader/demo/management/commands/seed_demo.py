from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cmr_reader.analysis.runs import create_run, run_analysis
from cmr_reader.demo.study import seed_demo_reports, seed_demo_study
from cmr_reader.demo.users import create_demo_users
from cmr_reader.domain.synthetic import write_cases
from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.studies.blinding import latest_audit


class Command(BaseCommand):
    help = _("Create the demo users and import synthetic CMR cases. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help=_("Password for every demo user."))
        # Twenty: enough pairs for the blinding audit to say something (it needs ten).
        parser.add_argument("--cases", type=int, default=20, help=_("Number of synthetic cases."))
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--matrix", type=int, default=None, help=_("Image matrix (smaller is faster)."))
        parser.add_argument("--phases", type=int, default=None, help=_("Cine phases (fewer is faster)."))

    def handle(self, *args, password: str, cases: int, seed: int, matrix, phases, **options):
        users = create_demo_users(password=password)
        self.stdout.write(_("Demo users: %(users)s") % {"users": ", ".join(users)})
        # Same seed, same bytes: a second run regenerates identical files, which import as
        # duplicates, so the demo never grows by running the command again.
        out_dir = Path(settings.DATA_DIR) / "demo-cases" / f"seed-{seed}-{matrix}-{phases}"
        case_dirs = write_cases(out_dir, cases=cases, seed=seed, matrix=matrix, phases=phases)
        # Only the DICOM: each case folder also holds its ground_truth.json.
        dicom_files = sorted(p for case_dir in case_dirs for p in case_dir.glob("*.dcm"))
        job = create_paths_job(paths=case_dirs)
        summary = run_import_job(job=job, sources=iter_path_sources(dicom_files), total=len(dicom_files))
        self.stdout.write(
            _("Synthetic cases: %(new)d instances imported, %(dup)d already present, %(bad)d rejected.")
            % {
                "new": summary.instances_imported,
                "dup": summary.duplicates_skipped,
                "bad": len(summary.rejected),
            }
        )
        reports = seed_demo_reports(case_dirs, seed=seed)
        self.stdout.write(
            _("AI reports: %(model)d by the demo model, %(template)d by the template generator; %(note)s.")
            % {"model": reports.by_model, "template": reports.by_template, "note": reports.model_note}
        )
        User = get_user_model()
        study = seed_demo_study(
            readers=list(
                User.objects.filter(username__in=["reader1", "reader2", "reader3"]).order_by("username")
            ),
            created_by=User.objects.filter(username="coordinator").first(),
        )
        self.stdout.write(
            _(
                "Reports: %(paired)d cases with a reference and an AI report. Study: %(study)s (%(count)d readings)."
            )
            % {"paired": reports.paired, "study": study.name, "count": study.assignments.count()}
        )
        audit = latest_audit(study)
        if audit is not None and audit.accuracy is not None:
            self.stdout.write(
                _(
                    "Blinding audit: the AI report told apart by form in %(correct)d of %(pairs)d pairs (%(accuracy)s; 95%% CI %(low)s to %(high)s; threshold %(threshold)s)."
                )
                % {
                    "correct": audit.result["correct"],
                    "pairs": audit.pair_count,
                    "accuracy": f"{audit.accuracy:.0%}",
                    "low": f"{audit.result['ci_low']:.0%}",
                    "high": f"{audit.result['ci_high']:.0%}",
                    "threshold": f"{audit.threshold:.0%}",
                }
            )
        if not study.analysis_runs.exists():
            # A first analysis, so the statistician's dashboard opens on the AI reports' entity
            # accuracy and diagnostic agreement; reader statistics fill in once readers submit.
            run_analysis(create_run(study=study, bootstrap=200, seed=seed))
