"""An import's rejection reasons and failure, shown in the reader's language.

The worker writes why a file was refused into ``ImportJob.rejected`` ([{file, reason}]) and why a
job failed into ``ImportJob.error``, as sentences in the site's language (``LANGUAGE_CODE``,
English), each made from one of the messages below with its values filled in (a pydicom error, a
size, a SOP class). The job page and the API translate them back when they are shown; a reason
that matches none of them (an older row, an exception's own text) is shown as stored. Nothing is
stored differently, so no migration is needed and every old job is still displayed.

Each message here is the msgid its raising code uses (deidentify, prepare, sources, ingest,
pacs_import, import_jobs); tests/i18n_tests/test_import_reasons_in_chinese.py fails when one of
those modules gains a reason this list does not hold.
"""

from django.utils.translation import gettext_noop

from cmr_reader.stored_text import StoredReasons

# The language reasons are written in (import_jobs.run_import_job): the messages' own.
STORED_LANGUAGE = "en"

REASONS = (
    # deidentify.check_acceptable / deidentify
    gettext_noop(
        "This is a secondary capture (a screenshot); it is not imported because "
        "it may show identifying text burned into the pixels."
    ),
    gettext_noop("Not an MR image (modality %(modality)s); only MR series are imported."),
    gettext_noop(
        "Unsupported DICOM object (SOP class %(sop_class)s); only MR Image Storage "
        "and Enhanced MR Image Storage are imported."
    ),
    gettext_noop("The file has no pixel data."),
    gettext_noop("The file does not give the image size (Rows, Columns)."),
    gettext_noop("The file has no %(attribute)s."),
    gettext_noop("The image declares burned-in annotation, which may identify the patient."),
    gettext_noop(
        "The image is a secondary image (Image Type %(image_type)s), which may carry burned-in text."
    ),
    # prepare
    gettext_noop("sequences nested too deeply to read"),
    gettext_noop("not a DICOM file"),
    gettext_noop("unreadable DICOM (%(error)s)"),
    gettext_noop("retired Explicit VR Big Endian transfer syntax is not supported"),
    gettext_noop("compressed pixel data (%(syntax)s) could not be decoded: %(error)s"),
    gettext_noop("corrupt DICOM header (%(error)s)"),
    gettext_noop("pixel data is truncated: %(actual)d bytes where %(expected)d are needed"),
    # sources
    gettext_noop("an archive inside an archive is not opened: unpack it and upload its files"),
    gettext_noop("the archive would unpack to %(size)s, more than the %(limit)s allowed"),
    gettext_noop("unsafe path in the archive (absolute, or climbing out with ..): not read"),
    gettext_noop("a symbolic link inside an archive is not followed"),
    gettext_noop("compressed %(ratio).0f to 1, more than any DICOM file (a zip bomb?): not unpacked"),
    gettext_noop("the archive holds %(count)d entries, more than the %(limit)d allowed"),
    gettext_noop("the archive is damaged or incomplete: re-export it"),
    # Written by earlier versions for the same archives: still on older jobs.
    gettext_noop("the archive is damaged or truncated: it could not be opened"),
    # Written by versions before enhanced MR was imported (decisions/0027): still on older jobs.
    gettext_noop("Enhanced (multi-frame) MR images are not supported yet."),
    gettext_noop("Unsupported DICOM object (SOP class %(sop_class)s); only MR Image Storage is imported."),
    # ingest, and sources for a file or archive member that cannot be read
    gettext_noop("could not be read (%(error)s)"),
    gettext_noop("the file is empty (0 bytes)"),
    gettext_noop("inconsistent series: this series already belongs to another study"),
    # pacs_import: reasons of a study or instance, and errors that end a job
    gettext_noop("the PACS has no study with this Study Instance UID"),
    gettext_noop("could not list its instances: %(error)s"),
    gettext_noop("not retrieved after repeated failures: %(error)s"),
    gettext_noop("the PACS stopped answering (%(error)s)"),
    gettext_noop("unexpected response type %(type)s"),
    gettext_noop("the PACS sent an incomplete multipart response"),
    gettext_noop("Could not connect to the PACS at %(url)s (%(error)s)."),
    gettext_noop("The PACS sent an unreadable search result (%(error)s)."),
    gettext_noop("The PACS refused the user name or password (HTTP %(status)d)."),
    gettext_noop("The PACS has no such resource; is the URL the DICOMweb root? (HTTP 404)"),
    gettext_noop("The PACS answered HTTP %(status)d %(reason)s."),
    gettext_noop("Not a valid port in the URL: %(url)s"),
    gettext_noop("Not an http(s) URL: %(url)s"),
    # import_jobs.failure_reason
    gettext_noop(
        "The disk holding the DICOM storage is full. The import stopped; the instances imported "
        "before are complete and kept, and nothing half-written was left. Free space, then retry."
    ),
)


CATALOGUE = StoredReasons(REASONS)
reason_text = CATALOGUE.text
shown_rejections = CATALOGUE.rejections
