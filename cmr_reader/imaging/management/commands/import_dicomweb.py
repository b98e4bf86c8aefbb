from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from pydicom.uid import RE_VALID_UID

from cmr_reader.imaging.import_jobs import run_import_job
from cmr_reader.imaging.management.import_summary import write_import_summary
from cmr_reader.imaging.pacs_import import (
    PacsError,
    connect_pacs,
    create_pacs_job,
    find_studies,
    iter_pacs_sources,
    password_from_environment,
)


class Command(BaseCommand):
    help = _(
        "Pull studies from a PACS over DICOMweb (QIDO-RS, WADO-RS) and import them, "
        "de-identifying on the way in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help=_("DICOMweb root, e.g. https://pacs.example.org/dicom-web")
        )
        parser.add_argument("--user", default=None, help=_("User name for HTTP basic authentication."))
        parser.add_argument(
            "--password",
            default=None,
            help=_(
                "Password for HTTP basic authentication (or set PACS_PASSWORD, kept off the process list)."
            ),
        )
        parser.add_argument(
            "--study",
            action="append",
            dest="studies",
            default=[],
            metavar="STUDY_INSTANCE_UID",
            help=_("Import only this study; repeat for several. Without it, every study on the PACS."),
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the summary as JSON.")
        )

    def handle(self, *args, url: str, user, password, studies: list[str], as_json: bool = False, **options):
        invalid = [uid for uid in studies if not RE_VALID_UID.fullmatch(uid)]
        if invalid:
            # Echoing the coordinator's own input back to them is fine; it is never stored.
            raise CommandError(_("Not a valid Study Instance UID: %(uids)s") % {"uids": ", ".join(invalid)})
        if user is not None and password is None:
            password = password_from_environment()
        try:
            pacs = connect_pacs(url=url, username=user, password=password)
        except PacsError as error:
            raise CommandError(str(error)) from None
        with pacs.session:
            try:
                # Search before recording a job: a wrong password or URL stores nothing at all.
                plan = find_studies(pacs=pacs, study_uids=studies or None)
            except PacsError as error:
                raise CommandError(str(error)) from None
            job = create_pacs_job(pacs=pacs, plan=plan)
            summary = run_import_job(
                job=job, sources=iter_pacs_sources(pacs=pacs, plan=plan), total=plan.expected_files
            ).as_dict()
        write_import_summary(self.stdout, summary, as_json=as_json)
