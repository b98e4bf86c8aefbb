"""The statistician's dashboard: start an analysis run, watch it, read its tables and plots,
download its bundle. Coordinators and statisticians only; readers never reach unblinded data."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES
from cmr_reader.analysis import dashboard_tables
from cmr_reader.analysis.forms import PlanForm, RunForm
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.mrmc.planning import PlanningError
from cmr_reader.analysis.paper_results import methods_draft, results_context
from cmr_reader.analysis.runs import AnalysisAlreadyRunning, active_run, latest_done, start_run
from cmr_reader.analysis.stored_sentences import translate_sentence
from cmr_reader.analysis.study_planning import (
    DEFAULT_READER_COUNTS,
    crossed_cases,
    design_power,
    pilot_from_components,
    pilot_options,
    plan_rows,
)
from cmr_reader.analysis.study_plots import FORMATS, plot_names, plot_title, render_plot
from cmr_reader.studies.blinding import latest_audit
from cmr_reader.studies.models import ReaderStudy

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
DRAFT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@role_required(*STAFF_ROLES)
def dashboard(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.ANALYSIS_DASHBOARD, target=study.pk, study=study.pk)
    run = latest_done(study)
    active = active_run(study)
    context = {
        "study": study,
        "run": run,
        "active": active,
        "stalled": active is not None and active.is_stalled(now=timezone.now()),
        "form": RunForm(),
        "history": study.analysis_runs.all()[:10],
        # Beside the readers' "which is AI?" answers: how well form alone tells the AI report.
        "blinding_audit": latest_audit(study),
    }
    if run is not None:
        context.update(dashboard_tables.tables(run.results))
        context["plots"] = [(name, plot_title(run.results, name)) for name in plot_names(run.results)]
    return render(request, "analysis/dashboard.html", context)


@require_POST
@role_required(*STAFF_ROLES)
def start(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("analysis:dashboard", study_id=study.pk)
    try:
        start_run(
            study=study,
            user=request.user,
            bootstrap=form.cleaned_data["bootstrap"],
            seed=form.cleaned_data["seed"],
        )
    except AnalysisAlreadyRunning:
        messages.error(request, _("An analysis of this study is already running; wait for it to finish."))
    else:
        messages.success(request, _("Analysis started. This page shows its progress."))
    return redirect("analysis:dashboard", study_id=study.pk)


@role_required(*STAFF_ROLES)
def bundle(request: HttpRequest, study_id: int, run_id) -> FileResponse:
    run = get_object_or_404(AnalysisRun, pk=run_id, study_id=study_id, state=AnalysisRun.State.DONE)
    if not run.bundle:
        raise Http404
    record_access(request, action=Action.ANALYSIS_BUNDLE, target=run.pk, study=run.study_id)
    stamp = run.finished_at.strftime("%Y%m%d-%H%M")
    return FileResponse(
        run.bundle.open("rb"), as_attachment=True, filename=f"study-{study_id}-analysis-{stamp}.zip"
    )


@role_required(*STAFF_ROLES)
def plot(request: HttpRequest, study_id: int, run_id, name: str, fmt: str) -> HttpResponse:
    run = get_object_or_404(AnalysisRun, pk=run_id, study_id=study_id, state=AnalysisRun.State.DONE)
    if fmt not in FORMATS or name not in plot_names(run.results):
        raise Http404
    response = HttpResponse(render_plot(run.results, name, fmt), content_type=CONTENT_TYPES[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="study-{study_id}-{name}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@role_required(*STAFF_ROLES)
def results(request: HttpRequest, study_id: int) -> HttpResponse:
    """The results for the paper: MRMC, forest plot, reading time, blinding, warnings, the draft."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.ANALYSIS_DASHBOARD, target=study.pk, study=study.pk)
    run = latest_done(study)
    context = {"study": study, "run": run, "blinding_audit": latest_audit(study)}
    if run is not None:
        context.update(results_context(run.results))
        context["forest"] = "forest" in plot_names(run.results)
    return render(request, "analysis/results.html", context)


@role_required(*STAFF_ROLES)
def draft(request: HttpRequest, study_id: int, run_id, fmt: str) -> HttpResponse:
    run = get_object_or_404(AnalysisRun, pk=run_id, study_id=study_id, state=AnalysisRun.State.DONE)
    if fmt not in DRAFT_TYPES:
        raise Http404
    record_access(request, action=Action.ANALYSIS_BUNDLE, target=run.pk, study=run.study_id)
    response = HttpResponse(
        methods_draft(study_name=run.study.name, results=run.results, fmt=fmt), content_type=DRAFT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="study-{study_id}-methods-and-results.{fmt}"'
    return response


@role_required(*STAFF_ROLES)
def plan(request: HttpRequest, study_id: int) -> HttpResponse:
    """Cases needed per number of readers, from a pilot's variance components (GET: no state)."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    options = {option.key: option for option in pilot_options()}
    initial = {"margin": study.non_inferiority_margin, "readers": ",".join(map(str, DEFAULT_READER_COUNTS))}
    form = PlanForm(
        request.GET if "pilot" in request.GET else None,
        initial=initial,
        pilots=[(key, option.label) for key, option in options.items()],
    )
    context = {"study": study, "form": form, "has_pilots": bool(options)}
    if form.is_bound and form.is_valid():
        pilot = pilot_from_components(options[form.cleaned_data["pilot"]].components)
        try:
            context["rows"] = plan_rows(
                pilot,
                readers=form.cleaned_data["readers"],
                margin=form.cleaned_data["margin"],
                true_difference=form.cleaned_data["true_difference"],
                target=form.cleaned_data["power"],
            )
        except PlanningError as error:
            context["plan_error"] = translate_sentence(str(error))
        context["pilot"] = pilot
        context["target"] = form.cleaned_data["power"]
        readers = study.study_readers.count()
        crossed = crossed_cases(
            readers=readers,
            cases=study.study_cases.count(),
            readers_per_case=study.readers_per_case,
            overlap=study.overlap_count,
        )
        context["design"] = {
            "readers": readers,
            "crossed": crossed,
            "power": design_power(
                pilot,
                readers=readers,
                crossed=crossed,
                margin=form.cleaned_data["margin"],
                true_difference=form.cleaned_data["true_difference"],
            ),
        }
    return render(request, "analysis/plan.html", context)
