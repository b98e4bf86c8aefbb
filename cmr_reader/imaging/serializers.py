from rest_framework import serializers

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

    class Meta:
        model = Case
        fields = [
            "case_id",
            "study_instance_uid",
            "study_date",
            "study_description",
            "patient_sex",
            "patient_age",
            "patient_size_m",
            "patient_weight_kg",
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
        if isinstance(data.get("summary"), dict) and "rejected" in data["summary"]:
            data["summary"] = {**data["summary"], "rejected": shown_rejections(data["summary"]["rejected"])}
        return data
