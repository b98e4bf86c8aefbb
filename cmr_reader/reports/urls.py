from django.urls import path

from cmr_reader.reports import import_views, views

app_name = "reports"
urlpatterns = [
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("imports/", import_views.import_upload, name="import_upload"),
    path("imports/<uuid:job_id>/preview/", import_views.import_preview, name="import_preview"),
    path("imports/<uuid:job_id>/commit/", import_views.import_commit, name="import_commit"),
    path("imports/<uuid:job_id>/discard/", import_views.import_discard, name="import_discard"),
    path("imports/<uuid:job_id>/", import_views.import_job, name="import_job"),
    path("imports/<uuid:job_id>/retry/", import_views.import_retry, name="import_retry"),
]
