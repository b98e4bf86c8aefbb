from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES, Role
from cmr_reader.imaging.forms import UploadForm
from cmr_reader.imaging.import_jobs import (
    cases_of_import_job,
    create_upload_job,
    enqueue_import_job,
    retry_import_job,
)
from cmr_reader.imaging.models import ImportJob
from cmr_reader.imaging.rejection_reasons import reason_text, shown_rejections


# CSRF is checked in _upload, after the size: the CSRF check reads the form, and so the whole
# body, which an oversized upload must never get to (Django's documented pattern for this).
@csrf_exempt
@role_required(Role.COORDINATOR)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _declared_length(request) > settings.UPLOAD_MAX_BYTES:
        form = UploadForm(data={})
        form.full_clean()  # a bound, cleaned form takes a form-wide error; its own are dropped
        form.errors.clear()
        form.add_error(
            None,
            _("This upload is %(size)s; one upload may be at most %(limit)s. Upload the files in parts.")
            % {
                "size": filesizeformat(_declared_length(request)),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            },
        )
        return _upload_page(request, form, status=413)
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, even one that carries nothing, so that an empty upload gets its error.
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        job = create_upload_job(files=form.cleaned_data["files"], user=request.user)
        enqueue_import_job(job)
        return redirect("imaging:import_job", job_id=job.pk)
    return _upload_page(request, form)


def _upload_page(request: HttpRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    jobs = ImportJob.objects.all()[:20]
    return render(request, "imaging/upload.html", {"form": form, "jobs": jobs}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@role_required(*STAFF_ROLES)
def import_job(request: HttpRequest, job_id) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    now = timezone.now()
    return render(
        request,
        "imaging/import_job.html",
        {
            "job": job,
            # Stored in the site's language (English); shown in the reader's.
            "rejected": shown_rejections(job.rejected),
            "error": reason_text(job.error),
            "is_stalled": job.is_stalled(now=now),
            "can_retry": job.can_be_retried(now=now),
            "imported_cases": cases_of_import_job(job),
        },
    )


@require_POST
@role_required(Role.COORDINATOR)
def import_job_retry(request: HttpRequest, job_id) -> HttpResponse:
    try:
        retry_import_job(job_id=job_id, now=timezone.now())
    except ImportJob.DoesNotExist:
        raise Http404 from None
    except ValueError:
        messages.error(request, _("This import cannot be run again now."))
    else:
        messages.success(request, _("The import was queued again; files already imported will be skipped."))
    return redirect("imaging:import_job", job_id=job_id)
