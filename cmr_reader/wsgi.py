"""WSGI entry point: Django, behind the WADO-RS frame fast lane (see frame_fast_lane.py), with
what a first request would load loaded before the first request (see warm_up.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmr_reader.settings")

django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from cmr_reader.imaging.frame_fast_lane import FrameFastLane  # noqa: E402  (needs settings loaded)
from cmr_reader.warm_up import warm_up  # noqa: E402

if settings.WARM_UP_WEB_PROCESS:
    warm_up()

application = FrameFastLane(django_application) if settings.FRAME_FAST_LANE else django_application
