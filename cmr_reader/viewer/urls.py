from django.urls import path

from cmr_reader.viewer import views

app_name = "viewer"
urlpatterns = [
    path("<str:case_id>/viewer/", views.case_viewer, name="case_viewer"),
]
