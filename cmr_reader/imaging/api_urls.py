from rest_framework.routers import DefaultRouter

from cmr_reader.imaging.api_views import CaseViewSet, ImportJobViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("import-jobs", ImportJobViewSet, basename="import-job")

urlpatterns = router.urls
