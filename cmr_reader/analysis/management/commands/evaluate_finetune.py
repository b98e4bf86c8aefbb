import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.analysis.finetune_evaluation import compare_outputs, markdown_report, read_outputs


class Command(BaseCommand):
    help = _(
        "Score the held-out reports of the base and the fine-tuned model (before.jsonl and after.jsonl "
        "from 'python -m inference finetune evaluate') with entity accuracy, diagnostic agreement and "
        "text similarity; writes evaluation.json and evaluation.md into the same folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help=_("Folder holding before.jsonl and after.jsonl."))

    def handle(self, *args, folder: Path, **options):
        try:
            result = compare_outputs(
                read_outputs(folder / "before.jsonl"), read_outputs(folder / "after.jsonl")
            )
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        report = markdown_report(result)
        (folder / "evaluation.json").write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / "evaluation.md").write_text(report, encoding="utf-8")
        self.stdout.write(report)
