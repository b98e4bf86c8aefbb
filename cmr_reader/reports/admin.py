from django.contrib import admin

from cmr_reader.reports.models import GenerationRun, Report


@admin.register(GenerationRun)
class GenerationRunAdmin(admin.ModelAdmin):
    list_display = ["model_name", "code_version", "device", "started_at", "finished_at"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["case", "source", "language", "generation_run", "created_at"]
    list_filter = ["source", "language"]
    raw_id_fields = ["case", "generation_run"]
