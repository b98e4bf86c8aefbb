from django.urls import path

from cmr_reader.imaging import case_views, views

app_name = "imaging"
urlpatterns = [
    path("cases/", case_views.case_list, name="cases"),
    path("upload/", views.upload, name="upload"),
    path("imports/<uuid:job_id>/", views.import_job, name="import_job"),
    path("imports/<uuid:job_id>/retry/", views.import_job_retry, name="import_job_retry"),
]
