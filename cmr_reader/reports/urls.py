from django.urls import path

from cmr_reader.reports import views

app_name = "reports"
urlpatterns = [
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
]
