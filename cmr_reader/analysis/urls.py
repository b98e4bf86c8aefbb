from django.urls import path

from cmr_reader.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("runs/", views.start, name="start"),
    path("runs/<uuid:run_id>/bundle.zip", views.bundle, name="bundle"),
    path("runs/<uuid:run_id>/plots/<slug:name>.<str:fmt>", views.plot, name="plot"),
]
