"""Reports imported in the browser, for coordinators: upload, preview, commit, progress."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role
from cmr_reader.reports import report_uploads
from cmr_reader.reports.import_forms import ReportUploadForm
from cmr_reader.reports.import_reasons import reason_text, shown_rejections
from cmr_reader.reports.models import ReportImportJob
from cmr_reader.reports.report_files import ENCODING_NAMES, ReportFileError
from cmr_reader.reports.report_import_jobs import commit_report_import, retry_report_import

# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 1024 * 1024
# Rejections a page lists; the rest are counted.
SHOWN_REJECTIONS = 500


# CSRF is checked in _upload, after the size: the CSRF check reads the form, and so the whole
# body, which an oversized upload must never get to (as imaging.views.upload does).
@csrf_exempt
@role_required(Role.COORDINATOR)
def import_upload(request: HttpRequest) -> HttpResponse:
    declared = _declared_length(request)
    limit = report_uploads.MAX_UPLOAD_BYTES
    if request.method == "POST" and declared > limit + FORM_OVERHEAD_BYTES:
        form = ReportUploadForm(data={})
        form.full_clean()  # a bound, cleaned form takes a form-wide error; its own are dropped
        form.errors.clear()
        form.add_error(
            None,
            _(
                "This upload is %(size)s; a reports file may be at most %(limit)s. Split it and upload the parts."
            )
            % {"size": filesizeformat(declared), "limit": filesizeformat(limit)},
        )
        return _upload_page(request, form, status=413)
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    form = ReportUploadForm(request.POST, request.FILES) if request.method == "POST" else ReportUploadForm()
    if form.is_bound and form.is_valid():
        try:
            job = report_uploads.stage_report_upload(
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                file_format=form.file_format,
                user=request.user,
                now=timezone.now(),
            )
        except ReportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("reports:import_preview", job_id=job.pk)
    return _upload_page(request, form)


def _upload_page(request: HttpRequest, form: ReportUploadForm, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "jobs": ReportImportJob.objects.all()[:20],
        "limit": report_uploads.MAX_UPLOAD_BYTES,
    }
    return render(request, "reports/import_upload.html", context, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@role_required(Role.COORDINATOR)
def import_preview(request: HttpRequest, job_id) -> HttpResponse:
    job = get_object_or_404(ReportImportJob, pk=job_id)
    if job.is_committed:
        return redirect("reports:import_job", job_id=job.pk)
    preview = job.preview
    rows = [{**row, "reason": reason_text(row["reason"])} for row in preview.get("shown_rows", [])]
    context = {
        "job": job,
        "preview": preview,
        "encoding": ENCODING_NAMES.get(preview.get("encoding", ""), preview.get("encoding", "")),
        "rows": rows,
        **_rejections(preview),
        "preview_limit": report_uploads.PREVIEW_ROWS,
    }
    return render(request, "reports/import_preview.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def import_commit(request: HttpRequest, job_id) -> HttpResponse:
    try:
        commit_report_import(job_id=job_id, now=timezone.now())
    except ReportImportJob.DoesNotExist:
        raise Http404 from None
    except ValueError:
        messages.info(request, _("This file was committed already; it is imported once."))
    return redirect("reports:import_job", job_id=job_id)


@require_POST
@role_required(Role.COORDINATOR)
def import_discard(request: HttpRequest, job_id) -> HttpResponse:
    try:
        report_uploads.discard_report_upload(job_id=job_id)
    except ReportImportJob.DoesNotExist:
        raise Http404 from None
    except ValueError:
        messages.error(request, _("This file was committed: its import cannot be discarded."))
        return redirect("reports:import_job", job_id=job_id)
    messages.success(request, _("The upload was discarded; nothing was imported from it."))
    return redirect("reports:import_upload")


@role_required(Role.COORDINATOR)
def import_job(request: HttpRequest, job_id) -> HttpResponse:
    job = get_object_or_404(ReportImportJob, pk=job_id)
    if not job.is_committed:
        return redirect("reports:import_preview", job_id=job.pk)
    now = timezone.now()
    context = {
        "job": job,
        "summary": job.summary,
        "encoding": ENCODING_NAMES.get(job.summary.get("encoding", ""), ""),
        **_rejections(job.summary),
        "error": reason_text(job.error),
        "is_stalled": job.is_stalled(now=now),
        "can_retry": job.can_be_retried(now=now),
    }
    return render(request, "reports/import_job.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def import_retry(request: HttpRequest, job_id) -> HttpResponse:
    try:
        retry_report_import(job_id=job_id, now=timezone.now())
    except ReportImportJob.DoesNotExist:
        raise Http404 from None
    except ValueError:
        messages.error(request, _("This import cannot be run again now."))
    else:
        messages.success(
            request, _("The import was queued again; reports already stored count as duplicates.")
        )
    return redirect("reports:import_job", job_id=job_id)


def _rejections(summary: dict) -> dict:
    """The rejections a page lists (in the reader's language) and how many it leaves out."""
    rejected = summary.get("rejected", [])
    total = summary.get("rejected_count", len(rejected))
    return {
        "rejected": shown_rejections(rejected[:SHOWN_REJECTIONS]),
        "rejected_count": total,
        "rejected_not_shown": total - min(len(rejected), SHOWN_REJECTIONS),
    }
