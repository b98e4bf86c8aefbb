"""The access log for coordinators: who opened which case, images, export or run."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from cmr_reader.accounts import access_log
from cmr_reader.accounts.forms import AccessLogFilterForm
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role

PAGE_SIZE = 100


@role_required(Role.COORDINATOR)
def access_log_page(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET)
    events = access_log.events_matching(form.log_filter())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "usernames": access_log.usernames()}
    return render(request, "accounts/access_log.html", context)


@role_required(Role.COORDINATOR)
def access_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    form = AccessLogFilterForm(request.GET)
    lines = access_log.csv_lines(access_log.events_matching(form.log_filter()))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response
