from django.db.models import Count, Prefetch
from rest_framework import viewsets

from cmr_reader.accounts.permissions import IsStaffMember
from cmr_reader.imaging.models import Case, ImportJob, Series
from cmr_reader.imaging.serializers import CaseSerializer, ImportJobSerializer


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored cases with their classified series (staff only)."""

    serializer_class = CaseSerializer
    permission_classes = [IsStaffMember]
    lookup_field = "case_id"

    def get_queryset(self):
        series = Series.objects.annotate(instance_count=Count("instances"))
        return Case.objects.prefetch_related(Prefetch("series", queryset=series))


class ImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Import jobs and their progress; the upload page polls one of these."""

    serializer_class = ImportJobSerializer
    permission_classes = [IsStaffMember]
    queryset = ImportJob.objects.all()
