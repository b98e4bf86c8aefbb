import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.imaging.models import Case
from cmr_reader.reports.generation import (
    CheckpointMismatch,
    GenerationPlan,
    WorkerStopped,
    cases_lacking_report,
    plan_run,
    queue_chunks,
    run_generation,
)
from cmr_reader.reports.training_leakage import TrainingLeakageError
from cmr_reader.studies.lookup import find_study
from inference.batching import parse_batch_size
from inference.checkpoint import input_config_for_checkpoint
from inference.generation_settings import GenerationSettings
from inference.prompts import PromptTemplate


class Command(BaseCommand):
    help = _(
        "Generate AI reports with a local checkpoint for cases that lack one from it. Running it again "
        "continues the same run; failed cases are recorded and retried on the next run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, type=Path, help=_("Checkpoint folder."))
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--study", help=_("Only the cases of this reader study (id or name)."))
        scope.add_argument("--cases", nargs="+", help=_("Only these case ids."))
        parser.add_argument("--device", default="auto")
        parser.add_argument(
            "--batch-size",
            type=parse_batch_size,
            default="auto",
            help=_('Cases per batch, or "auto": sized from the free GPU memory and the prompts\' lengths.'),
        )
        parser.add_argument("--limit", type=int, default=None, help=_("At most this many cases now."))
        parser.add_argument("--lang", default="en", help=_("Prompt template: en, zh, or a template file."))
        parser.add_argument("--max-new-tokens", type=int, default=512)
        parser.add_argument(
            "--frames-per-cine",
            default=None,
            help=_("A number, or 'all'. Default: what the checkpoint records, else 16."),
        )
        parser.add_argument("--sax-slices", choices=("three", "all"), default=None)
        parser.add_argument("--max-pixels", type=int, default=None)
        parser.add_argument("--preprocess-workers", type=int, default=1)
        parser.add_argument(
            "--queue",
            action="store_true",
            help=_(
                "Queue the work as tasks for db_worker processes (several GPU machines share it) instead of running here."
            ),
        )
        parser.add_argument("--chunk", type=int, default=16, help=_("Cases per queued task."))

    def handle(self, *args, **o):
        if not o["model"].is_dir():
            raise CommandError(_("No checkpoint folder %(path)s.") % {"path": o["model"]})
        try:
            plan = GenerationPlan(
                model_path=o["model"],
                template=PromptTemplate.load(o["lang"]),
                input_config=input_config_for_checkpoint(
                    o["model"],
                    frames_per_cine=o["frames_per_cine"],
                    sax_slices=o["sax_slices"],
                    max_pixels=o["max_pixels"],
                ),
                settings=GenerationSettings(max_new_tokens=o["max_new_tokens"], batch_size=o["batch_size"]),
            )
            run = plan_run(plan)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        cases = cases_lacking_report(run, self._scope(o))
        if o["limit"] is not None:
            cases = cases[: o["limit"]]
        cases = list(cases)
        run.cases_total = max(run.cases_total, run.cases_done + len(cases))
        run.save(update_fields=["cases_total", "updated_at"])
        self.stdout.write(
            _("Run %(run)d (%(model)s): %(count)d cases to generate.")
            % {"run": run.pk, "model": run.model_name, "count": len(cases)}
        )
        if not cases:
            return
        if o["queue"]:
            try:
                self._enqueue(run, cases, chunk=o["chunk"], device=o["device"])
            except TrainingLeakageError as error:
                raise CommandError(str(error)) from error
            return
        done = [0]

        def show(report):
            done[0] += 1
            status = _("failed: %(reason)s") % {"reason": report.error} if report.error else _("ok")
            sys.stderr.write(f"\r[{done[0]}/{len(cases)}] {report.key} {status}\n")

        try:
            run = run_generation(
                run,
                cases=cases,
                device=o["device"],
                preprocess_workers=o["preprocess_workers"],
                progress=show,
            )
        except (TrainingLeakageError, CheckpointMismatch, WorkerStopped) as error:
            # The run and its chunk already hold the reason; the operator gets it without a traceback.
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Run %(run)d: %(done)d reports, %(failed)d failed cases.")
            % {"run": run.pk, "done": run.cases_done, "failed": run.cases_failed}
        )

    def _scope(self, o):
        if o["cases"]:
            return Case.objects.filter(case_id__in=o["cases"])
        if o["study"]:
            study = find_study(o["study"])
            if study is None:
                raise CommandError(_("No study %(study)s.") % {"study": o["study"]})
            return Case.objects.filter(study_cases__study=study)
        return Case.objects.all()

    def _enqueue(self, run, cases, *, chunk: int, device: str):
        chunks = queue_chunks(run, [case.case_id for case in cases], chunk_size=chunk, device=device)
        self.stdout.write(_("Queued %(tasks)d tasks on the inference queue.") % {"tasks": len(chunks)})
