"""A WSGI fast lane for WADO-RS single-frame requests of recently authorised sessions.

Only a GET for exactly one frame, from a session that ``frame_grants`` holds, is answered here;
everything else (no cookie, no grant, several frames, an unknown instance, an Accept header we
cannot satisfy, any error) goes to Django unchanged, which answers it in full and may grant the
session. The instance is still located through ``instance_locator.locate_instance`` with the
granted user, so who may see what is decided in ``dicomweb_access`` as for every other request.
Headers match the Django view's (see ``dicomweb_views.retrieve_frames``).
"""

import logging
import re
from http.cookies import CookieError, SimpleCookie

from django.conf import settings

from cmr_reader.imaging import frame_grants, multipart
from cmr_reader.imaging.instance_locator import locate_instance
from cmr_reader.imaging.instance_store import dicom_store

logger = logging.getLogger(__name__)

FRAME_PATH = re.compile(
    r"^/dicomweb/studies/(?P<study>[0-9.]{1,64})/series/(?P<series>[0-9.]{1,64})"
    r"/instances/(?P<instance>[0-9.]{1,64})/frames/(?P<frame>[1-9][0-9]{0,5})$"
)
BINARY_CACHE_CONTROL = "private, max-age=3600"


class FrameFastLane:
    def __init__(self, app):
        self.app = app
        self.cookie_name = settings.SESSION_COOKIE_NAME
        self.store = dicom_store()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = FRAME_PATH.match(environ.get("PATH_INFO", ""))
            if match is not None:
                try:
                    answer = self._serve(environ, match)
                except Exception:
                    # Never fail here: Django answers (and logs) whatever went wrong.
                    logger.debug("frame fast lane fell back to Django", exc_info=True)
                    answer = None
                if answer is not None:
                    body, content_type = answer
                    start_response(
                        "200 OK",
                        [
                            ("Content-Type", content_type),
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", BINARY_CACHE_CONTROL),
                            ("Vary", "Cookie"),
                            ("X-Content-Type-Options", "nosniff"),
                        ],
                    )
                    return [body]
        return self.app(environ, start_response)

    def _serve(self, environ, match) -> tuple[bytes, str] | None:
        user = frame_grants.granted_user(self._session_key(environ))
        if user is None:
            return None
        found = locate_instance(
            user=user, study=match["study"], series=match["series"], instance=match["instance"]
        )
        frame = int(match["frame"])
        if found is None or frame > found.number_of_frames:
            return None
        part_format = multipart.choose_part_format(
            environ.get("HTTP_ACCEPT"),
            part_type="application/octet-stream",
            transfer_syntax=found.transfer_syntax_uid,
            single_part_allowed=True,
        )
        if part_format is None:
            return None
        data = self.store.read_frames(
            found.file_path,
            pixel_data_offset=found.pixel_data_offset,
            frame_length=found.frame_length,
            frame_numbers=[frame],
        )
        return multipart.octet_stream_body(
            data, part_format=part_format, transfer_syntax=found.transfer_syntax_uid
        )

    def _session_key(self, environ) -> str | None:
        header = environ.get("HTTP_COOKIE")
        if not header or self.cookie_name not in header:
            return None
        try:
            morsel = SimpleCookie(header).get(self.cookie_name)
        except CookieError:
            return None
        return morsel.value if morsel is not None else None
