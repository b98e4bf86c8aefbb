import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from cmr_reader.domain.training_manifests import write_manifests
from cmr_reader.domain.training_split import SplitFractions, check_key
from cmr_reader.studies.training_export import current_study_overlap, export_training_pairs
from cmr_reader.versions import code_version


class Command(BaseCommand):
    help = _(
        "Write fine-tuning manifests (train, validation, test) of the cases with a reference report, "
        "split by a keyed hash of the patient; every reader-study case and every other exam of its "
        "patients is left out. With --check, check manifests written earlier against today's studies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "out", type=Path, help=_("New folder for the manifests (or, with --check, an existing one).")
        )
        parser.add_argument(
            "--key-file", type=Path, help=_("File holding the split key (at least 16 bytes).")
        )
        parser.add_argument("--val", type=float, default=0.1, help=_("Share of patients for validation."))
        parser.add_argument(
            "--test", type=float, default=0.1, help=_("Share of patients held out for testing.")
        )
        parser.add_argument("--languages", nargs="+", choices=("en", "zh"), default=["en", "zh"])
        parser.add_argument(
            "--check", action="store_true", help=_("Check existing manifests instead of writing.")
        )

    def handle(
        self, *args, out: Path, key_file: Path | None, val: float, test: float, languages, check: bool, **o
    ):
        if check:
            self._check(out)
            return
        if key_file is None:
            raise CommandError(_("--key-file is required to write manifests."))
        try:
            key = check_key(key_file.read_bytes().strip())
            fractions = SplitFractions(validation=val, test=test)
            export = export_training_pairs(key=key, fractions=fractions, languages=languages)
            summary = export.summary(
                fractions=fractions,
                key=key,
                created_at=timezone.now().isoformat(),
                code_version=code_version(),
            )
            written = write_manifests(out, rows=export.rows, summary=summary)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        counts = {name: info["rows"] for name, info in written["manifests"].items()}
        self.stdout.write(
            _(
                "Manifests written to %(out)s: %(train)d train, %(validation)d validation, %(test)d test cases."
            )
            % {"out": out, **counts}
        )
        self.stdout.write(
            json.dumps({"manifests": written["manifests"], "left_out": written["left_out"]}, indent=2)
        )

    def _check(self, folder: Path) -> None:
        try:
            problems = current_study_overlap(folder)
        except (OSError, ValueError) as error:  # ManifestError is a ValueError
            raise CommandError(str(error)) from error
        if problems:
            raise CommandError(
                _("These manifests overlap a reader study and must not be trained on: %(problems)s")
                % {"problems": "; ".join(problems[:10])}
            )
        self.stdout.write(_("The manifests are intact and overlap no reader study."))
