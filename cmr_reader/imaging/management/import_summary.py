"""How the import commands print their summary (the same shape for files and for a PACS)."""

import json

from django.utils.translation import gettext as _


def write_import_summary(stdout, summary: dict, *, as_json: bool) -> None:
    if as_json:
        stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    stdout.write(
        _(
            "Imported %(instances)d instances in %(series)d series of %(studies)d studies; "
            "%(duplicates)d duplicates skipped; %(rejected)d files rejected."
        )
        % {
            "instances": summary["instances_imported"],
            "series": summary["series"],
            "studies": summary["studies"],
            "duplicates": summary["duplicates_skipped"],
            "rejected": len(summary["rejected"]),
        }
    )
    for rejection in summary["rejected"]:
        stdout.write(f"  {rejection['file']}: {rejection['reason']}")
