from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from cmr_reader import health, home_views
from cmr_reader.accounts import preference_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("health/", health.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("cmr_reader.accounts.two_factor_urls")),
    path("admin/", admin.site.urls),
    # The schema maps every endpoint; it is for signed-in users, like the API it describes.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("api/", include("cmr_reader.imaging.api_urls")),
    path("imaging/", include("cmr_reader.imaging.urls")),
    path("dicomweb/", include("cmr_reader.imaging.dicomweb_urls")),
    path("cases/", include("cmr_reader.viewer.urls")),
    path("reading/", include("cmr_reader.studies.reader_urls")),
    path("studies/", include("cmr_reader.studies.coordinator_urls")),
    path("studies/<int:study_id>/analysis/", include("cmr_reader.analysis.urls")),
    path("generation/", include("cmr_reader.reports.urls")),
    path("access-log/", include("cmr_reader.accounts.urls")),
    # Django's set_language, which also saves a signed-in user's choice (accounts/preferences.py).
    path("i18n/setlang/", preference_views.set_language, name="set_language"),
    path("preferences/", preference_views.preferences_page, name="preferences"),
    # gettext() for the viewer's JavaScript (djangojs catalogue).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
