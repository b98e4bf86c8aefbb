from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from cmr_reader import home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/", include("cmr_reader.imaging.api_urls")),
    path("imaging/", include("cmr_reader.imaging.urls")),
    path("dicomweb/", include("cmr_reader.imaging.dicomweb_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
