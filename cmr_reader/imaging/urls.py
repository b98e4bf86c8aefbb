from django.urls import path

from cmr_reader.imaging import case_views, pacs_views, views

app_name = "imaging"
urlpatterns = [
    path("cases/", case_views.case_list, name="cases"),
    path("upload/", views.upload, name="upload"),
    path("pacs/", pacs_views.pacs_search, name="pacs"),
    path("pacs/pull/", pacs_views.pacs_pull, name="pacs_pull"),
    path("imports/<uuid:job_id>/", views.import_job, name="import_job"),
    path("imports/<uuid:job_id>/retry/", views.import_job_retry, name="import_job_retry"),
]
