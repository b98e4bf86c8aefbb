"""Finding cases among tens of thousands: search, filters, sort and status columns.

The Cases page and the cases API read the same ``CaseFilterForm`` and call the same
``search_cases``, so the two never disagree. Every filter is an indexed lookup or an EXISTS
subquery (no join that multiplies rows, no DISTINCT), and the status columns are subqueries the
database computes only for the page it returns, so the cost of a page does not grow with the
number of cases beyond the filter itself.

Reports and studies depend on imaging, not the other way round: their models are reached through
the reverse relations that point at ``Case`` (``Case.reports``, ``Case.study_cases``), so this
module imports neither app.
"""

from django import forms
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cmr_reader.imaging.models import Case, Series
from cmr_reader.imaging.series_kind import SeriesKind

PAGE_SIZE = 50
NOT_IN_ANY_STUDY = "none"
SORTS = {
    "case_id": ("case_id",),
    "-case_id": ("-case_id",),
    "study_date": ("study_date", "case_id"),
    "-study_date": ("-study_date", "case_id"),
    "imported": ("created_at", "case_id"),
    "-imported": ("-created_at", "case_id"),
    "series": ("series_count", "case_id"),
    "-series": ("-series_count", "case_id"),
}
REPORT_FILTERS = {
    "reference": _("with a reference report"),
    "ai": _("with an AI report"),
    "both": _("with both reports"),
    "missing_ai": _("with a reference report but no AI report"),
    "none": _("with no report"),
}
LANGUAGES = {"en": _("English"), "zh": _("Simplified Chinese")}
# The reference report's extracted diagnosis (Report.diagnosis); "unstated" is a report that names none.
DIAGNOSES = {
    "hcm": _("hypertrophic cardiomyopathy"),
    "normal": _("normal"),
    "dcm": _("dilated cardiomyopathy"),
    "ischemic": _("ischaemic heart disease"),
    "amyloidosis": _("amyloidosis"),
    "myocarditis": _("myocarditis"),
    "other": _("other"),
    "unstated": _("none stated"),
}


def diagnosis_label(code: str | None) -> str | None:
    """A stored diagnosis code (hcm, dcm, ...) in words, as the filter names it; None for none."""
    return str(DIAGNOSES.get(code, code)) if code else None


def report_model():
    return Case._meta.get_field("reports").related_model


def study_case_model():
    return Case._meta.get_field("study_cases").related_model


def study_model():
    return study_case_model()._meta.get_field("study").related_model


class CaseFilterForm(forms.Form):
    """The query string of the Cases page and of ``/api/cases/``; every field optional."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=64, help_text=_("Case id or patient pseudonym.")
    )
    reports = forms.ChoiceField(
        label=_("Reports"), required=False, choices=[("", _("any")), *REPORT_FILTERS.items()]
    )
    language = forms.ChoiceField(
        label=_("Reference report language"), required=False, choices=[("", _("any")), *LANGUAGES.items()]
    )
    diagnosis = forms.ChoiceField(
        label=_("Reference report's diagnosis"), required=False, choices=[("", _("any")), *DIAGNOSES.items()]
    )
    study = forms.ChoiceField(label=_("Study"), required=False)
    kind = forms.MultipleChoiceField(
        label=_("Series present"),
        required=False,
        choices=SeriesKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    imported_from = forms.DateField(
        label=_("Imported from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    imported_to = forms.DateField(
        label=_("Imported until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("case_id", _("case id")),
            ("-case_id", _("case id, descending")),
            ("study_date", _("study date")),
            ("-study_date", _("study date, newest first")),
            ("imported", _("import date")),
            ("-imported", _("import date, newest first")),
            ("series", _("number of series")),
            ("-series", _("number of series, most first")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        studies = study_model().objects.order_by("name").values_list("pk", "name")
        self.fields["study"].choices = [
            ("", _("any")),
            (NOT_IN_ANY_STUDY, _("in no study")),
            *((str(pk), name) for pk, name in studies),
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("imported_from"), cleaned.get("imported_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The import date range ends before it starts."))
        return cleaned


def _has_report(**lookups) -> Exists:
    return Exists(report_model().objects.filter(case=OuterRef("pk"), **lookups))


def with_status(cases: QuerySet) -> QuerySet:
    """Status columns: number of series, whether each report exists, the reference's language, studies."""
    series_count = (
        Series.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    study_count = (
        study_case_model()
        .objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reference = report_model().objects.filter(case=OuterRef("pk"), source="reference").order_by("id")
    return cases.annotate(
        series_count=Coalesce(Subquery(series_count, output_field=IntegerField()), Value(0)),
        study_count=Coalesce(Subquery(study_count, output_field=IntegerField()), Value(0)),
        has_reference=_has_report(source="reference"),
        has_ai=_has_report(source="ai"),
        reference_language=Subquery(reference.values("language")[:1]),
        reference_diagnosis=Subquery(reference.values("diagnosis")[:1]),
    )


def search_cases(filters: dict) -> QuerySet:
    """Cases matching a valid CaseFilterForm's cleaned_data, with status columns, sorted."""
    return with_status(matching_cases(filters)).order_by(*_sort(filters))


def _sort(filters: dict) -> tuple[str, ...]:
    return SORTS.get(filters.get("sort") or "case_id", SORTS["case_id"])


class PageableIds:
    """The matching cases' primary keys in the page's order, for a paginator.

    A paginator counts first, then slices out its page. Given the page it will most likely ask
    for (``likely``, from the request), the count is read together with that page's ids in one
    windowed query (``COUNT(*) OVER ()``): one pass over the matching cases instead of two. Past
    the end, or without a hint, the count comes from the plain filtered query (an ordering by
    number of series groups every series, which a COUNT does not need)."""

    def __init__(self, ordered: QuerySet, counted: QuerySet, *, likely: slice | None = None):
        self._ordered, self._counted, self._likely = ordered, counted, likely
        self._count: int | None = None
        self._page: tuple[slice, list[int]] | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._count_with_likely_page()
        return self._count

    def _count_with_likely_page(self) -> int:
        if self._likely is not None:
            windowed = self._ordered.annotate(total=Window(Count("*"))).values_list("pk", "total")
            rows = list(windowed[self._likely])
            if rows:
                self._page = (self._likely, [pk for pk, _total in rows])
                return rows[0][1]
        return self._counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self._ordered.values_list("pk", flat=True)[index]
        if self._page is not None:
            read, pks = self._page
            # The last page is asked for up to the count, which the windowed read stopped at too.
            if index.start == read.start and index.stop is not None and index.stop <= read.stop:
                return pks[: index.stop - index.start]
        return list(self._ordered.values_list("pk", flat=True)[index])


def likely_page(page: str | None, *, page_size: int) -> slice | None:
    """The slice a paginator will take for the ``page`` query parameter, when it is a plausible
    page number (none for "last" or a number past any archive: the paginator decides those)."""
    number = int(page) if page and page.isdigit() and len(page) < 10 else None if page else 1
    if number is None:
        return None
    number = max(number, 1)
    return slice((number - 1) * page_size, number * page_size)


def ordered_ids(filters: dict, *, likely: slice | None = None) -> PageableIds:
    """The matching cases' ids in order, and nothing else: what a paginator counts and slices.
    Status columns are computed afterwards for the one page (``cases_for_page``); computed here,
    the database would evaluate them for every row an OFFSET skips."""
    cases = matching_cases(filters)
    order = _sort(filters)
    ordered = cases
    if order[0].lstrip("-") == "series_count":
        ordered = cases.annotate(series_count=Count("series"))  # one grouped pass, not a subquery per case
    return PageableIds(ordered.order_by(*order), cases, likely=likely)


def cases_for_page(pks, *, series: QuerySet | None = None) -> list[Case]:
    """The cases of one page, in the given order, with status columns and their series."""
    rows = with_status(Case.objects.filter(pk__in=list(pks))).prefetch_related(
        Prefetch("series", queryset=series if series is not None else Series.objects.all())
    )
    by_pk = {case.pk: case for case in rows}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def matching_cases(filters: dict) -> QuerySet:
    """Cases matching a valid CaseFilterForm's cleaned_data: filtered, not annotated, not ordered."""
    cases = Case.objects.all()
    if text := (filters.get("q") or "").strip():
        cases = cases.filter(Q(case_id__icontains=text) | Q(patient_pseudonym__icontains=text))
    reports = filters.get("reports")
    # A case has at most one reference report, so every condition on it goes into one EXISTS
    # (one semi-join for "both reports, in Chinese, HCM" rather than three).
    reference: dict[str, str] = {}
    if language := filters.get("language"):
        reference["language"] = language
    if diagnosis := filters.get("diagnosis"):
        reference["diagnosis"] = "" if diagnosis == "unstated" else diagnosis
    if reports in ("reference", "both", "missing_ai") or reference:
        cases = cases.filter(_has_report(source="reference", **reference))
    if reports in ("ai", "both"):
        cases = cases.filter(_has_report(source="ai"))
    elif reports == "missing_ai":
        cases = cases.exclude(_has_report(source="ai"))
    elif reports == "none":
        cases = cases.exclude(_has_report(source="reference")).exclude(_has_report(source="ai"))
    study = filters.get("study")
    if study == NOT_IN_ANY_STUDY:
        cases = cases.exclude(Exists(study_case_model().objects.filter(case=OuterRef("pk"))))
    elif study:
        cases = cases.filter(
            Exists(study_case_model().objects.filter(case=OuterRef("pk"), study_id=int(study)))
        )
    for kind in filters.get("kind") or ():
        cases = cases.filter(Exists(Series.objects.filter(case=OuterRef("pk"), kind=kind)))
    if start := filters.get("imported_from"):
        cases = cases.filter(created_at__date__gte=start)
    if end := filters.get("imported_to"):
        cases = cases.filter(created_at__date__lte=end)
    return cases
