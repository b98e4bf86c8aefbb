from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role
from cmr_reader.imaging.forms import UploadForm
from cmr_reader.imaging.import_jobs import create_upload_job, enqueue_import_job, retry_import_job
from cmr_reader.imaging.models import Case, ImportJob

STAFF_ROLES = (Role.COORDINATOR, Role.STATISTICIAN)


@role_required(*STAFF_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    cases = Case.objects.annotate(series_count=Count("series", distinct=True)).prefetch_related("series")
    return render(request, "imaging/case_list.html", {"cases": cases})


@role_required(Role.COORDINATOR)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = create_upload_job(files=form.cleaned_data["files"], user=request.user)
        enqueue_import_job(job)
        return redirect("imaging:import_job", job_id=job.pk)
    jobs = ImportJob.objects.all()[:20]
    return render(request, "imaging/upload.html", {"form": form, "jobs": jobs})


@role_required(*STAFF_ROLES)
def import_job(request: HttpRequest, job_id) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    now = timezone.now()
    return render(
        request,
        "imaging/import_job.html",
        {"job": job, "is_stalled": job.is_stalled(now=now), "can_retry": job.can_be_retried(now=now)},
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
