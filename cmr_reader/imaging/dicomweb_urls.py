"""DICOMweb read side (QIDO-RS, WADO-RS, and WADO-URI for comparison; PS3.18 10.4, 10.6, 9) under /dicomweb/.

UIDs are path segments of digits and dots, so ``str`` converters; a URL's study, series and
instance UIDs must belong together or the resource is not found.
"""

from django.urls import path

from cmr_reader.imaging import dicomweb_views as views

app_name = "dicomweb"

_STUDY = "studies/<str:study>"
_SERIES = _STUDY + "/series/<str:series>"
_INSTANCE = _SERIES + "/instances/<str:instance>"

urlpatterns = [
    path("studies", views.search_studies, name="studies"),
    path("wado", views.retrieve_wado_uri, name="wado_uri"),
    path("series", views.search_series, name="all_series"),
    path("instances", views.search_instances, name="all_instances"),
    path(_STUDY, views.retrieve_instances, name="study"),
    path(_STUDY + "/metadata", views.retrieve_metadata, name="study_metadata"),
    path(_STUDY + "/series", views.search_series, name="study_series"),
    path(_STUDY + "/instances", views.search_instances, name="study_instances"),
    path(_SERIES, views.retrieve_instances, name="series"),
    path(_SERIES + "/metadata", views.retrieve_metadata, name="series_metadata"),
    path(_SERIES + "/instances", views.search_instances, name="series_instances"),
    path(_INSTANCE, views.retrieve_instances, name="instance"),
    path(_INSTANCE + "/metadata", views.retrieve_metadata, name="instance_metadata"),
    path(_INSTANCE + "/frames/<str:frames>", views.retrieve_frames, name="frames"),
    path(_INSTANCE + "/bulk/<str:tag>", views.retrieve_bulk_data, name="bulk_data"),
]
