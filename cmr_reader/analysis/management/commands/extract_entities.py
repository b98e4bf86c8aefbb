import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cmr_reader.domain.entities import extract_entities


class Command(BaseCommand):
    help = _("Extract the CMR entity record (volumes, EF, wall thickness, LGE, diagnosis...) from a report.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--text", help=_("The report text."))
        source.add_argument("--file", type=Path, help=_("A UTF-8 text file holding the report."))
        parser.add_argument("--lang", choices=["auto", "en", "zh"], default="auto")
        parser.add_argument("--json", action="store_true", dest="as_json", help=_("Print one JSON object."))

    def handle(self, *args, text: str | None, file: Path | None, lang: str, as_json: bool, **options):
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
                ) from None
        record = extract_entities(text or "", lang=lang)
        if as_json:
            self.stdout.write(json.dumps(record, ensure_ascii=False))
            return
        for field, value in record.items():
            self.stdout.write(f"{field}: {'' if value is None else value}")
