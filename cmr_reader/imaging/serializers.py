from rest_framework import serializers

from cmr_reader.imaging.display_names import safe_display_name
from cmr_reader.imaging.models import Case, ImportJob, Series
from cmr_reader.imaging.rejection_reasons import reason_text, shown_rejections


class SeriesSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    instance_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Series
        fields = [
            "series_instance_uid",
            "series_number",
            "description",
            "modality",
            "kind",
            "kind_label",
            "classification_reason",
            "instance_count",
        ]


class CaseSerializer(serializers.ModelSerializer):
    series = SeriesSerializer(many=True, read_only=True)
    patient_age_years = serializers.FloatField(read_only=True, allow_null=True)
    series_count = serializers.IntegerField(read_only=True)
    study_count = serializers.IntegerField(read_only=True)
    has_reference = serializers.BooleanField(read_only=True)
    has_ai = serializers.BooleanField(read_only=True)
    reference_language = serializers.CharField(read_only=True, allow_null=True)
    reference_diagnosis = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "case_id",
            "study_instance_uid",
            "study_date",
            "study_description",
            "patient_sex",
            "patient_age",
            "patient_age_years",
            "patient_size_m",
            "patient_weight_kg",
            "created_at",
            "series_count",
            "study_count",
            "has_reference",
            "has_ai",
            "reference_language",
            "reference_diagnosis",
            "series",
        ]


class ImportJobSerializer(serializers.ModelSerializer):
    percent_done = serializers.IntegerField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "source",
            "label",
            "state",
            "state_label",
            "total_files",
            "processed_files",
            "percent_done",
            "instances_imported",
            "duplicates_skipped",
            "rejected",
            "summary",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: ImportJob) -> dict:
        # Reasons are stored in the site's language (English); the caller reads them in theirs.
        data = super().to_representation(instance)
        data["rejected"] = shown_rejections(data["rejected"] or [])
        data["error"] = reason_text(data["error"])
        if isinstance(data.get("summary"), dict):
            data["summary"] = shown_summary(data["summary"])
        return data


def shown_summary(summary: dict) -> dict:
    """A job's summary as the API gives it: a folder import's paths, kept while the job can still
    run (a failed one can be retried), only as cleaned names (``sources``); see ADR 0005."""
    shown = {key: value for key, value in summary.items() if key != "paths"}
    if "paths" in summary:
        shown["sources"] = [safe_display_name(str(path)) for path in summary["paths"]]
    if "rejected" in shown:
        shown["rejected"] = shown_rejections(shown["rejected"])
    return shown
