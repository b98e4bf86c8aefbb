"""DICOMweb read side: QIDO-RS searches and WADO-RS retrieval (DICOM PS3.18 10.4, 10.6).

Plain Django views rather than DRF: clients are DICOMweb clients (Cornerstone3D's image loader,
dicomweb-client) that negotiate DICOM media types DRF does not know, and the frame endpoint is
benchmarked, so it stays a query, a positioned read and a join of bytes.

Callers are programmatic: an anonymous request is answered 401 (never a login redirect) and a
signed-in user without access 403. What a signed-in user may see is decided in
``dicomweb_access`` alone.
"""

import json
import logging
from functools import wraps

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from cmr_reader.accounts import access_log
from cmr_reader.imaging import dicomweb_search, frame_grants, multipart
from cmr_reader.imaging.dicom_json import PIXEL_DATA
from cmr_reader.imaging.dicomweb_access import may_use_dicomweb
from cmr_reader.imaging.dicomweb_query import InvalidQuery, parse_query
from cmr_reader.imaging.instance_locator import StoredInstance, locate_instance
from cmr_reader.imaging.instance_store import dicom_store

logger = logging.getLogger(__name__)

DICOM_JSON = "application/dicom+json"
OCTET_STREAM = "application/octet-stream"
DICOM = "application/dicom"
# Images of one SOP Instance UID never change; a revoked reader keeps at most an hour of cache.
BINARY_CACHE_CONTROL = "private, max-age=3600"
JSON_CACHE_CONTROL = "private, no-cache"


def _problem(status: int, message: str) -> HttpResponse:
    response = HttpResponse(json.dumps({"detail": message}), status=status, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


def _dicomweb_endpoint(view):
    """GET only; 401 for anonymous callers, 403 for users DICOMweb is closed to."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = _problem(405, _("Only GET is supported here."))
            response["Allow"] = "GET, HEAD"
            return response
        if not request.user.is_authenticated:
            return _problem(401, _("Authentication required: sign in first."))
        if not may_use_dicomweb(request.user):
            return _problem(403, _("You may not read images."))
        return view(request, *args, **kwargs)

    return wrapper


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("dicomweb:studies"))


def _dicom_json_response(results: list[dict], *, truncated: bool = False) -> HttpResponse:
    response = HttpResponse(json.dumps(results, separators=(",", ":")), content_type=DICOM_JSON)
    response["Cache-Control"] = JSON_CACHE_CONTROL
    if truncated:
        # PS3.18 8.4.2: a partial answer says so; the client pages on with ``offset``.
        response["Warning"] = (
            '299 cmr-reader: "The number of results exceeded the maximum supported by the '
            'server. Additional results can be requested."'
        )
    return response


def _not_acceptable() -> HttpResponse:
    return _problem(
        406,
        _(
            "Only uncompressed Explicit VR Little Endian (%(syntax)s) is available; ask for "
            "multipart/related with that transfer syntax or transfer-syntax=*."
        )
        % {"syntax": multipart.EXPLICIT_VR_LITTLE_ENDIAN},
    )


def _search(request: HttpRequest, *, level: str, **scope) -> HttpResponse:
    if not multipart.accepts_json(request.headers.get("Accept")):
        return _problem(406, _("Search results are available as application/dicom+json only."))
    try:
        query = parse_query(request.GET, level=level)
    except InvalidQuery as error:
        return _problem(400, str(error))
    search = {
        "study": dicomweb_search.search_studies,
        "series": dicomweb_search.search_series,
        "instance": dicomweb_search.search_instances,
    }[level]
    results, truncated = search(user=request.user, query=query, base_url=_base_url(request), **scope)
    access_log.record_study_search(request, study=scope.get("study"), results=results)
    return _dicom_json_response(results, truncated=truncated)


@_dicomweb_endpoint
def search_studies(request: HttpRequest) -> HttpResponse:
    return _search(request, level="study")


@_dicomweb_endpoint
def search_series(request: HttpRequest, study: str | None = None) -> HttpResponse:
    return _search(request, level="series", study=study)


@_dicomweb_endpoint
def search_instances(
    request: HttpRequest, study: str | None = None, series: str | None = None
) -> HttpResponse:
    return _search(request, level="instance", study=study, series=series)


@_dicomweb_endpoint
def retrieve_metadata(
    request: HttpRequest, study: str, series: str | None = None, instance: str | None = None
) -> HttpResponse:
    if not multipart.accepts_json(request.headers.get("Accept")):
        return _problem(406, _("Metadata is available as application/dicom+json only."))
    document = dicomweb_search.metadata_document(
        user=request.user, study=study, series=series, instance=instance, base_url=_base_url(request)
    )
    if document is None:
        return _problem(404, _("No such study, series or instance."))
    access_log.record_study_access(request, study_uid=study)
    response = HttpResponse(document, content_type=DICOM_JSON)
    response["Cache-Control"] = JSON_CACHE_CONTROL
    return response


def _one_instance(request: HttpRequest, *, study: str, series: str, instance: str) -> StoredInstance | None:
    return locate_instance(user=request.user, study=study, series=series, instance=instance)


def parse_frame_list(text: str) -> list[int]:
    """``"1,3,5"`` -> [1, 3, 5]; ValueError for anything but positive integers."""
    numbers = [int(part) for part in text.split(",")]
    if any(number < 1 for number in numbers):
        raise ValueError(text)
    return numbers


@_dicomweb_endpoint
def retrieve_frames(
    request: HttpRequest, study: str, series: str, instance: str, frames: str
) -> HttpResponse:
    try:
        numbers = parse_frame_list(frames)
    except ValueError:
        return _problem(400, _("Frame numbers are positive integers separated by commas."))
    found = _one_instance(request, study=study, series=series, instance=instance)
    if found is None:
        return _problem(404, _("No such instance."))
    file_path, pixel_data_offset, frame_length, number_of_frames, transfer_syntax = found
    beyond = [number for number in numbers if number > number_of_frames]
    if beyond:
        return _problem(
            404,
            _("Frame %(frame)d does not exist: this instance has %(count)d frame(s).")
            % {"frame": beyond[0], "count": number_of_frames},
        )
    part_format = multipart.choose_part_format(
        request.headers.get("Accept"),
        part_type=OCTET_STREAM,
        transfer_syntax=transfer_syntax,
        single_part_allowed=len(numbers) == 1,
    )
    if part_format is None:
        return _not_acceptable()
    data = dicom_store().read_frames(
        file_path,
        pixel_data_offset=pixel_data_offset,
        frame_length=frame_length,
        frame_numbers=numbers,
    )
    # This session may now take the fast lane for its next frame requests (frame_fast_lane.py).
    frame_grants.grant(request.session.session_key, user=request.user)
    return _octet_stream_response(data, part_format=part_format, transfer_syntax=transfer_syntax)


@_dicomweb_endpoint
def retrieve_bulk_data(
    request: HttpRequest, study: str, series: str, instance: str, tag: str
) -> HttpResponse:
    """The one bulk data element we hold by reference: Pixel Data (see ``instance_metadata``)."""
    found = _one_instance(request, study=study, series=series, instance=instance)
    if found is None or tag.upper() != PIXEL_DATA:
        return _problem(404, _("No such bulk data."))
    file_path, pixel_data_offset, _frame_length, _frames, transfer_syntax = found
    part_format = multipart.choose_part_format(
        request.headers.get("Accept"),
        part_type=OCTET_STREAM,
        transfer_syntax=transfer_syntax,
        single_part_allowed=True,
    )
    if part_format is None:
        return _not_acceptable()
    data = dicom_store().read_pixel_data(file_path, pixel_data_offset=pixel_data_offset)
    return _octet_stream_response([data], part_format=part_format, transfer_syntax=transfer_syntax)


def _octet_stream_response(parts: list[bytes], *, part_format: str, transfer_syntax: str) -> HttpResponse:
    body, content_type = multipart.octet_stream_body(
        parts, part_format=part_format, transfer_syntax=transfer_syntax
    )
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = BINARY_CACHE_CONTROL
    return response


@_dicomweb_endpoint
def retrieve_instances(
    request: HttpRequest, study: str, series: str | None = None, instance: str | None = None
) -> HttpResponse:
    """Whole stored files as multipart/related; type="application/dicom", streamed."""
    paths = dicomweb_search.stored_files(user=request.user, study=study, series=series, instance=instance)
    if not paths:
        return _problem(404, _("No such study, series or instance."))
    transfer_syntax = paths[0][1]
    part_format = multipart.choose_part_format(
        request.headers.get("Accept"),
        part_type=DICOM,
        transfer_syntax=transfer_syntax,
        single_part_allowed=len(paths) == 1,
    )
    if part_format is None:
        return _not_acceptable()
    store = dicom_store()
    files = [file_path for file_path, _syntax in paths]
    part_type = f"{DICOM}; transfer-syntax={transfer_syntax}"
    if part_format == "single":
        response = StreamingHttpResponse(store.iter_file(files[0]), content_type=part_type)
    else:
        boundary = multipart.new_boundary()
        response = StreamingHttpResponse(
            multipart.stream_parts(
                (store.iter_file(path) for path in files), boundary=boundary, content_type=part_type
            ),
            content_type=multipart.multipart_content_type(part_type=DICOM, boundary=boundary),
        )
    response["Cache-Control"] = BINARY_CACHE_CONTROL
    return response


@_dicomweb_endpoint
def retrieve_wado_uri(request: HttpRequest) -> HttpResponse:
    """WADO-URI (PS3.18 9): one whole stored file per request, named by query parameters.

    The simplest way a viewer can fetch images, kept so the viewer's WADO-RS path can be measured
    against it (bench/bench_viewer.py); only ``contentType=application/dicom`` is offered.
    """
    params = request.GET
    if params.get("requestType") != "WADO":
        return _problem(400, _("requestType=WADO is required."))
    uids = {name: params.get(name, "") for name in ("studyUID", "seriesUID", "objectUID")}
    if not all(uids.values()):
        return _problem(400, _("studyUID, seriesUID and objectUID are required."))
    if params.get("contentType", DICOM) != DICOM:
        return _problem(406, _("Only contentType=application/dicom is available."))
    paths = dicomweb_search.stored_files(
        user=request.user, study=uids["studyUID"], series=uids["seriesUID"], instance=uids["objectUID"]
    )
    if not paths:
        return _problem(404, _("No such instance."))
    file_path, _syntax = paths[0]
    response = StreamingHttpResponse(dicom_store().iter_file(file_path), content_type=DICOM)
    response["Cache-Control"] = BINARY_CACHE_CONTROL
    return response
