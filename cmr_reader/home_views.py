from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmr_reader import first_steps
from cmr_reader.accounts.roles import Role, has_role, roles_of
from cmr_reader.studies.models import ReaderStudy


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting page: what to do next, with links for the roles the user holds."""
    is_coordinator = has_role(request.user, Role.COORDINATOR)
    is_reader = has_role(request.user, Role.READER)
    set_up = first_steps.current_set_up() if is_coordinator else None
    return render(
        request,
        "home.html",
        {
            "roles": roles_of(request.user),
            "is_coordinator": is_coordinator,
            "is_statistician": has_role(request.user, Role.STATISTICIAN),
            "is_reader": is_reader,
            "set_up": set_up,
            "next_step": first_steps.coordinator_next_step(set_up) if set_up else None,
            "has_reading": is_reader and first_steps.has_reading(request.user),
            "analysable_studies": ReaderStudy.objects.exclude(state=ReaderStudy.State.DRAFT)
            if has_role(request.user, Role.STATISTICIAN)
            else [],
        },
    )
