from django.urls import path

from cmr_reader.accounts import two_factor_views as views

app_name = "two_factor"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("set-up/", views.start, name="start"),
    path("confirm/", views.enrol, name="enrol"),
    path("remove/", views.remove, name="remove"),
    path("verify/", views.verify, name="verify"),
]
