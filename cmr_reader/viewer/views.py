from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES
from cmr_reader.imaging.models import Case
from cmr_reader.viewer.manifest import build_viewer_manifest

IMAGE_LOADERS = ("wadors", "wadouri")


@role_required(*STAFF_ROLES)
def case_viewer(request: HttpRequest, case_id: str) -> HttpResponse:
    """Any case, for staff; the reading workstation embeds the same component for its readers."""
    case = get_object_or_404(Case, case_id=case_id)
    record_access(request, action=Action.CASE_VIEWER, target=case.case_id)
    return render(request, "viewer/case_viewer.html", viewer_context(request, case=case))


def viewer_context(request: HttpRequest, *, case: Case) -> dict:
    """Template context for ``viewer/_viewer.html``; ``?loader=wadouri`` is for the benchmark."""
    loader = request.GET.get("loader", "wadors")
    loader = loader if loader in IMAGE_LOADERS else "wadors"
    manifest = build_viewer_manifest(case, dicomweb_root=reverse("dicomweb:studies").removesuffix("studies"))
    return {
        "case": case,
        "viewer_manifest": manifest,
        "viewer_loader": loader,
        # Fetched while the viewer's script loads: the series metadata of the first viewports.
        "viewer_preloads": (
            [
                reverse("dicomweb:series_metadata", args=[manifest["study"], uid])
                for uid in manifest["viewports"]
            ]
            if loader == "wadors"
            else []
        ),
    }
