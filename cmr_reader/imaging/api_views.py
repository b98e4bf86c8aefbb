from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination

from cmr_reader.accounts.permissions import IsStaffMember
from cmr_reader.imaging.case_search import (
    DIAGNOSES,
    PAGE_SIZE,
    REPORT_FILTERS,
    SORTS,
    CaseFilterForm,
    cases_for_page,
    likely_page,
    ordered_ids,
    search_cases,
)
from cmr_reader.imaging.models import ImportJob, Series
from cmr_reader.imaging.serializers import CaseSerializer, ImportJobSerializer
from cmr_reader.imaging.series_kind import SeriesKind


class CasePagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 200


CASE_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Case id or patient pseudonym (substring)."),
    OpenApiParameter("reports", OpenApiTypes.STR, enum=list(REPORT_FILTERS)),
    OpenApiParameter(
        "language", OpenApiTypes.STR, enum=["en", "zh"], description="Reference report language."
    ),
    OpenApiParameter(
        "diagnosis", OpenApiTypes.STR, enum=list(DIAGNOSES), description="Reference report's diagnosis."
    ),
    OpenApiParameter("study", OpenApiTypes.STR, description="A study id, or none (in no study)."),
    OpenApiParameter(
        "kind", OpenApiTypes.STR, many=True, enum=list(SeriesKind.values), description="Series present."
    ),
    OpenApiParameter("imported_from", OpenApiTypes.DATE),
    OpenApiParameter("imported_to", OpenApiTypes.DATE),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS)),
]


@extend_schema_view(list=extend_schema(parameters=CASE_FILTERS))
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored cases with their classified series and status (staff only); the list takes the Cases
    page's filters and is paged."""

    serializer_class = CaseSerializer
    permission_classes = [IsStaffMember]
    pagination_class = CasePagination
    lookup_field = "case_id"

    def get_queryset(self):
        series = Series.objects.annotate(instance_count=Count("instances"))
        return search_cases({}).prefetch_related(Prefetch("series", queryset=series))

    def list(self, request, *args, **kwargs):
        """The page's ids first, then status and series for those only (see ``ordered_ids``)."""
        form = CaseFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        page_size = self.paginator.get_page_size(request) or PAGE_SIZE
        likely = likely_page(request.query_params.get(self.paginator.page_query_param), page_size=page_size)
        pks = self.paginator.paginate_queryset(
            ordered_ids(form.cleaned_data, likely=likely), request, view=self
        )
        rows = cases_for_page(pks, series=Series.objects.annotate(instance_count=Count("instances")))
        return self.paginator.get_paginated_response(self.get_serializer(rows, many=True).data)


class ImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Import jobs and their progress; the upload page polls one of these."""

    serializer_class = ImportJobSerializer
    permission_classes = [IsStaffMember]
    queryset = ImportJob.objects.all()
