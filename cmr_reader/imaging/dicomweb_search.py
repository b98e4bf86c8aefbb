"""QIDO-RS searches and WADO-RS metadata, each a fixed number of queries whatever the size.

All of them start from ``dicomweb_access``; a caller sees only what that module lets through.
``base_url`` is the absolute URL of ``/dicomweb/studies`` (for Retrieve URLs and bulk data URIs).
"""

from collections import defaultdict

from django.db.models import Count, Min, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from cmr_reader.imaging import dicom_json
from cmr_reader.imaging.dicomweb_access import visible_cases, visible_instances, visible_series
from cmr_reader.imaging.dicomweb_query import Query
from cmr_reader.imaging.models import Instance, Series


def search_studies(*, user, query: Query, base_url: str) -> tuple[list[dict], bool]:
    """Study-level results and whether the server's result cap cut them short."""
    cases = visible_cases(user).annotate(
        number_of_series=Count("series", distinct=True),
        number_of_instances=Count("series__instances"),
    )
    rows, truncated = query.page(cases.order_by("case_id"))
    ids = [case.pk for case in rows]
    modalities = defaultdict(set)
    for case_id, modality in (
        Series.objects.filter(case_id__in=ids).values_list("case_id", "modality").distinct()
    ):
        modalities[case_id].add(modality)
    headers = _one_header_per_case(ids)
    results = [
        dicom_json.study_attributes(
            study_instance_uid=case.study_instance_uid,
            patient_id=case.patient_pseudonym,
            study_date=case.study_date,
            study_description=case.study_description,
            patient_sex=case.patient_sex,
            patient_age=case.patient_age,
            modalities=modalities[case.pk],
            number_of_series=case.number_of_series,
            number_of_instances=case.number_of_instances,
            header=headers.get(case.pk),
            retrieve_url=f"{base_url}/{case.study_instance_uid}",
        )
        for case in rows
    ]
    return results, truncated


def _one_header_per_case(case_ids: list[int]) -> dict[int, dict]:
    """One stored header per case, for the study attributes the Case row does not keep."""
    first_instances = (
        Instance.objects.filter(series__case_id__in=case_ids)
        .order_by()
        .values("series__case_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    return dict(
        Instance.objects.filter(id__in=first_instances)
        .order_by()
        .values_list("series__case_id", "dicom_json")
    )


def search_series(*, user, query: Query, study: str | None, base_url: str) -> tuple[list[dict], bool]:
    series = visible_series(user).select_related("case").annotate(number_of_instances=Count("instances"))
    if study is not None:
        series = series.filter(case__study_instance_uid=study)
    rows, truncated = query.page(series.order_by("case__case_id", "series_number", "id"))
    results = []
    for row in rows:
        attributes = dicom_json.series_attributes(
            study_instance_uid=row.case.study_instance_uid,
            series_instance_uid=row.series_instance_uid,
            modality=row.modality,
            series_number=row.series_number,
            series_description=row.description,
            number_of_instances=row.number_of_instances,
            retrieve_url=f"{base_url}/{row.case.study_instance_uid}/series/{row.series_instance_uid}",
        )
        if study is None:
            # Searches across studies also say which study each series is in (PS3.18 10.6.3.3.2).
            attributes["00100020"] = dicom_json.element("LO", row.case.patient_pseudonym)
            attributes["00080020"] = dicom_json.element("DA", dicom_json.dicom_date(row.case.study_date))
            attributes = dict(sorted(attributes.items()))
        results.append(attributes)
    return results, truncated


INSTANCE_COLUMNS = (
    "series__case__study_instance_uid",
    "series__series_instance_uid",
    "sop_class_uid",
    "sop_instance_uid",
    "instance_number",
    "rows",
    "columns",
    "number_of_frames",
)


def search_instances(
    *, user, query: Query, study: str | None, series: str | None, base_url: str
) -> tuple[list[dict], bool]:
    instances = scoped_instances(visible_instances(user), study=study, series=series)
    ordered = instances.order_by(
        "series__case__case_id", "series__series_number", "series_id", "instance_number", "id"
    )
    rows, truncated = query.page(ordered.values_list(*INSTANCE_COLUMNS))
    results = [
        dicom_json.instance_attributes(
            study_instance_uid=study_uid,
            series_instance_uid=series_uid,
            sop_class_uid=sop_class_uid,
            sop_instance_uid=sop_uid,
            instance_number=number,
            rows=row_count,
            columns=column_count,
            number_of_frames=frames,
            retrieve_url=f"{base_url}/{study_uid}/series/{series_uid}/instances/{sop_uid}",
        )
        for study_uid, series_uid, sop_class_uid, sop_uid, number, row_count, column_count, frames in rows
    ]
    return results, truncated


def metadata_document(
    *, user, study: str, series: str | None, instance: str | None, base_url: str
) -> str | None:
    """WADO-RS metadata as DICOM JSON text: each instance's stored header, Pixel Data as a bulk
    data URI; None when no instance is visible.

    The stored headers are copied as the database holds them, as text, rather than decoded and
    encoded again: a 250-image cine's 1.2 MB of metadata is the viewer's first request, and
    decoding and re-encoding it cost most of that request's time.
    """
    rows = (
        scoped_instances(visible_instances(user), study=study, series=series, instance=instance)
        .order_by("series__series_number", "series_id", "instance_number", "id")
        .annotate(
            header_text=Cast("dicom_json", TextField()),
            bits_allocated=KT(f"dicom_json__{dicom_json.BITS_ALLOCATED}__Value__0"),
        )
        .values_list("series__series_instance_uid", "sop_instance_uid", "header_text", "bits_allocated")
    )
    parts = []
    for series_uid, sop_uid, header_text, bits_allocated in rows.iterator(chunk_size=500):
        bulk_data_uri = (
            f"{base_url}/{study}/series/{series_uid}/instances/{sop_uid}/bulk/{dicom_json.PIXEL_DATA}"
        )
        parts.append(
            dicom_json.instance_metadata_text(
                header_text=header_text, bits_allocated=bits_allocated, bulk_data_uri=bulk_data_uri
            )
        )
    return "[" + ",".join(parts) + "]" if parts else None


def stored_files(*, user, study: str, series: str | None, instance: str | None) -> list[tuple[str, str]]:
    """(file path relative to the storage root, transfer syntax) of each instance, in order."""
    return list(
        scoped_instances(visible_instances(user), study=study, series=series, instance=instance)
        .order_by("series__series_number", "series_id", "instance_number", "id")
        .values_list("file_path", "transfer_syntax_uid")
    )


def scoped_instances(instances, *, study: str | None, series: str | None = None, instance: str | None = None):
    """Instances under the URL's study, series and instance (each checked, so a URL that mixes
    UIDs from different studies finds nothing)."""
    if study is not None:
        instances = instances.filter(series__case__study_instance_uid=study)
    if series is not None:
        instances = instances.filter(series__series_instance_uid=series)
    if instance is not None:
        instances = instances.filter(sop_instance_uid=instance)
    return instances
