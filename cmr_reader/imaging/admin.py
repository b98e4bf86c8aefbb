from django.contrib import admin

from cmr_reader.imaging.models import Case, ImportJob, Instance, Series


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["case_id", "study_date", "patient_sex", "patient_age", "created_at"]
    search_fields = ["case_id"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["case", "series_number", "description", "kind"]
    list_filter = ["kind"]


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["sop_instance_uid", "series", "instance_number", "rows", "columns"]
    exclude = ["dicom_json"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source", "label", "state", "processed_files", "total_files"]
    list_filter = ["state", "source"]
