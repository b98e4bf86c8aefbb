from django.urls import path

from cmr_reader.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("runs/", views.start, name="start"),
    path("results/", views.results, name="results"),
    path("plan/", views.plan, name="plan"),
    path("runs/<uuid:run_id>/draft.<str:fmt>", views.draft, name="draft"),
    path("runs/<uuid:run_id>/bundle.zip", views.bundle, name="bundle"),
    path("runs/<uuid:run_id>/plots/<slug:name>.<str:fmt>", views.plot, name="plot"),
]
