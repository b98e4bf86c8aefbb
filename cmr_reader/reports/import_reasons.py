"""Why a report import refused a row or a file, stored in English and shown in the reader's language.

A browser import's preview and its job (``report_uploads``, ``report_import_jobs``) are computed
with English active and stored, whoever uploaded the file: the page translates each reason back
when it is shown, as the DICOM import's pages do (``imaging/rejection_reasons.py``). Each message
here is the msgid its raising module uses (report_import, ai_report_import, report_files,
report_import_jobs); tests/reports_tests/test_report_upload_reasons.py fails when one of them
gains a reason this list does not hold. Messages with a ``%r`` value (an unknown language, a bad
date, a bad format) are kept out: they match no pattern and are shown as stored.
"""

from django.utils.translation import gettext_noop

from cmr_reader.stored_text import StoredReasons

STORED_LANGUAGE = "en"

REASONS = (
    # report_import
    gettext_noop("report_text is empty"),
    gettext_noop("case %(case)s already has a different reference report"),
    gettext_noop("nothing but identifying text is left after scrubbing"),
    gettext_noop("neither accession_number nor study_instance_uid is given"),
    gettext_noop("no imported study matches this row's accession_number or study_instance_uid"),
    gettext_noop("accession_number and study_instance_uid point to different studies"),
    gettext_noop(
        "The header needs report_text and accession_number or study_instance_uid; it has: %(columns)s"
    ),
    gettext_noop("%(column)s holds a NUL character"),
    # ai_report_import
    gettext_noop("No line of the file is a JSON object: is it JSON Lines?"),
    gettext_noop("The file is empty."),
    gettext_noop("text is empty or missing"),
    gettext_noop("model_name is empty"),
    gettext_noop("none of case_id, accession_number and study_instance_uid is given"),
    gettext_noop("provenance must be a JSON object"),
    gettext_noop("provenance holds a NUL character"),
    gettext_noop("provenance names this row's patient or study identifiers; remove them"),
    gettext_noop("case %(case)s already has a different AI report from %(model)s %(version)s (run %(run)d)"),
    gettext_noop(
        "The file needs text, model_name, model_version and one of case_id, accession_number or "
        "study_instance_uid; it has: %(columns)s"
    ),
    gettext_noop("model_name or model_version is longer than %(limit)d characters"),
    gettext_noop("%(column)s must be text"),
    gettext_noop("no case %(case)s on this site"),
    gettext_noop("case_id and accession_number or study_instance_uid point to different studies"),
    gettext_noop("case %(case)s appears again for this model and version (first on line %(line)d)"),
    gettext_noop("the line is not a JSON object"),
    gettext_noop("provenance is not valid JSON: %(error)s"),
    gettext_noop("not valid JSON: %(error)s"),
    # report_files
    gettext_noop("The file is neither UTF-8 nor GB18030 text."),
    gettext_noop("The file is UTF-16 text; save it as UTF-8 (or GB18030) and import it again."),
    gettext_noop("The file is a workbook or an archive, not text: save it as .xlsx or CSV."),
    gettext_noop("The file is empty: a header row is needed."),
    gettext_noop("The workbook has no sheet."),
    gettext_noop("The file is not a readable XLSX workbook (%(error)s)."),
    gettext_noop("Line %(line)d cannot be read as CSV (%(error)s)."),
    # report_uploads, report_import_jobs
    gettext_noop("Reference reports come as CSV or XLSX; JSON Lines is for AI reports."),
    gettext_noop("The staged file is gone; upload the file again."),
    gettext_noop(
        "The import stopped with an unexpected error (%(error)s); run it again or ask your administrator."
    ),
)


# The case ids and model names in a reason are values, never messages to translate.
CATALOGUE = StoredReasons(REASONS, values={name: str for name in ("case", "model", "version", "columns")})
reason_text = CATALOGUE.text
shown_rejections = CATALOGUE.rejections
