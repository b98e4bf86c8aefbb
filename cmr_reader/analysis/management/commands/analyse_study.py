import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.runs import DEFAULT_BOOTSTRAP, create_run, run_analysis
from cmr_reader.studies.lookup import find_study


class Command(BaseCommand):
    help = _(
        "Run a reader study's full analysis in the foreground (the dashboard shows it as its latest run) "
        "and optionally copy the download bundle somewhere."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help=_("Study id or name."))
        parser.add_argument("--bootstrap", type=int, default=DEFAULT_BOOTSTRAP)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--output", type=Path, default=None, help=_("Copy the bundle (zip) here."))

    def handle(self, *args, study: str, bootstrap: int, seed: int | None, output: Path | None, **options):
        reader_study = find_study(study)
        if reader_study is None:
            raise CommandError(_("No study %(study)s.") % {"study": study})
        try:
            run = create_run(study=reader_study, bootstrap=bootstrap, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error

        def show(step: str, percent: int) -> None:
            self.stderr.write(f"{percent:3d}% {step}")

        run = run_analysis(run, echo=show)
        if run.state != AnalysisRun.State.DONE:
            raise CommandError(_("The analysis failed: %(error)s") % {"error": run.error})
        self.stdout.write(_("Analysis %(run)s done (seed %(seed)d).") % {"run": run.pk, "seed": run.seed})
        if output:
            with run.bundle.open("rb") as source, output.open("wb") as target:
                shutil.copyfileobj(source, target)
            self.stdout.write(_("Bundle written to %(path)s.") % {"path": output})
