from django.urls import path

from cmr_reader.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.access_log_page, name="access_log"),
    path("access-log.csv", views.access_log_csv, name="access_log_csv"),
]
