"""Writing whole synthetic cases: every series of a CMR study plus ``ground_truth.json``."""

import datetime as dt
import json
from pathlib import Path

import numpy as np

from cmr_reader.domain.synthetic.anatomy import CINE_CONTRAST, LGE_CONTRAST
from cmr_reader.domain.synthetic.case_params import (
    CASE_TYPES,
    CaseParams,
    SeriesPlan,
    derive_case_seed,
    sample_case_params,
)
from cmr_reader.domain.synthetic.dicom_writer import SeriesContent, write_series
from cmr_reader.domain.synthetic.geometry import heart_frame, lax_plane, sax_planes
from cmr_reader.domain.synthetic.ground_truth import build_ground_truth
from cmr_reader.domain.synthetic.identifiers import PlantedIdentifiers, plant_identifiers
from cmr_reader.domain.synthetic.render import render_plane
from cmr_reader.domain.synthetic.ventricles import contraction_curve
from cmr_reader.domain.synthetic.vocabulary import CINE_SAX, LGE_SAX, is_informative

GROUND_TRUTH_FILE = "ground_truth.json"
LGE_TRIGGER_FRACTION = 0.7  # LGE is gated to mid-diastole, when the heart is stillest
LAX_VIEWS = ("cine_4ch", "cine_2ch", "cine_3ch")


def write_cases(
    out_dir: Path, *, cases: int, seed: int, matrix: int | None = None, phases: int | None = None
) -> list[Path]:
    """Write ``cases`` cases into ``out_dir/case_000`` ...; returns the case folders.

    Case types are balanced: every block of four holds each type once, in an order drawn from
    ``seed``. Case ``i`` uses ``derive_case_seed(seed=seed, index=i)``.
    """
    folders = []
    for index, params in enumerate(
        balanced_case_params(cases=cases, seed=seed, matrix=matrix, phases=phases)
    ):
        folder = Path(out_dir) / f"case_{index:03d}"
        write_case(folder, params=params)
        folders.append(folder)
    return folders


def balanced_case_params(
    *, cases: int, seed: int, matrix: int | None = None, phases: int | None = None
) -> list[CaseParams]:
    """The parameters of ``cases`` cases as ``write_cases`` draws them: every block of four holds
    each type once, in an order drawn from ``seed``; case ``i`` uses ``derive_case_seed(seed, i)``."""
    rng = np.random.default_rng(seed)
    order = [
        CASE_TYPES[j] for _ in range(0, cases, len(CASE_TYPES)) for j in rng.permutation(len(CASE_TYPES))
    ]
    return [
        sample_case_params(
            seed=derive_case_seed(seed=seed, index=index),
            case_type=order[index],
            matrix=matrix,
            phases=phases,
        )
        for index in range(cases)
    ]


def write_case(out_dir: Path, *, params: CaseParams) -> dict:
    """Render and write every series of ``params`` into ``out_dir``; returns the ground truth."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    acquisition, heart = params.acquisition, params.heart
    ids = plant_identifiers(seed=params.seed, age_years=params.patient.age_years)
    frame = heart_frame(base_center_mm=acquisition.base_center_mm, long_axis=acquisition.long_axis)
    rng = np.random.default_rng([params.seed, 0xC1])
    phases = acquisition.phases
    # End-systole falls exactly on a phase, so the drawn ESV is the smallest volume of the cycle.
    es_fraction = round(acquisition.es_fraction * phases) / phases
    cine_contraction = contraction_curve(phase_fraction=np.arange(phases) / phases, es_fraction=es_fraction)
    cine_triggers = np.arange(phases) * acquisition.rr_interval_ms / phases
    lge_contraction = contraction_curve(
        phase_fraction=np.array([LGE_TRIGGER_FRACTION]), es_fraction=es_fraction
    )
    cine_contrast = CINE_CONTRAST.scaled(acquisition.signal_scale)
    lge_contrast = LGE_CONTRAST.scaled(acquisition.signal_scale)
    study_start = dt.datetime.strptime(ids.study_date + ids.study_time, "%Y%m%d%H%M%S")
    sax = sax_planes(
        frame=frame,
        slice_z_mm=acquisition.slice_z_mm,
        lateral_offset_mm=acquisition.sax_lateral_offset_mm,
        pixel_spacing_mm=acquisition.pixel_spacing_mm,
        matrix=acquisition.matrix,
    )
    sax_number = next(plan.number for plan in acquisition.series if plan.kind == CINE_SAX)
    first_sax_uid = ids.sop_instance_uid(series_number=sax_number, instance_number=1)
    areas: dict[str, np.ndarray] = {}
    lge_extent_pct = 0.0
    series_truth = []
    for order, plan in enumerate(acquisition.series):
        start = study_start + dt.timedelta(minutes=4 * order + (12 if plan.kind == LGE_SAX else 0))
        if plan.kind == CINE_SAX:
            rendered = [
                render_plane(
                    heart=heart,
                    frame=frame,
                    plane=plane,
                    contraction=cine_contraction,
                    contrast=cine_contrast,
                    rng=rng,
                    short_axis=True,
                )
                for plane in sax
            ]
            pixel_mm = acquisition.pixel_spacing_mm
            areas["blood"] = np.stack([r.area_mm2(r.lv_blood, pixel_mm=pixel_mm) for r in rendered])
            areas["myocardium"] = np.stack([r.area_mm2(r.lv_myocardium, pixel_mm=pixel_mm) for r in rendered])
            planes, triggers, window = sax, cine_triggers, _window(cine_contrast)
        elif plan.kind == LGE_SAX:
            rendered = [
                render_plane(
                    heart=heart,
                    frame=frame,
                    plane=plane,
                    contraction=lge_contraction,
                    contrast=lge_contrast,
                    rng=rng,
                    short_axis=True,
                    with_enhancement=True,
                )
                for plane in sax
            ]
            weights = [r.enhancement for r in rendered if r.enhancement is not None]
            assert len(weights) == len(rendered)  # rendered with_enhancement=True
            enhanced = sum(float(w.sum()) for w in weights)
            myocardium = sum(float(r.lv_myocardium.sum()) for r in rendered)
            lge_extent_pct = 100.0 * enhanced / myocardium
            planes, window = sax, _window(lge_contrast)
            triggers = np.array([LGE_TRIGGER_FRACTION * acquisition.rr_interval_ms])
        else:
            view = LAX_VIEWS.index(plan.kind)
            plane = lax_plane(
                frame=frame,
                view=plan.kind,
                center_z_mm=0.3 * (heart.cavity_length_mm + heart.apical_cap_mm),
                rotation_deg=acquisition.lax_rotations_deg[view],
                pixel_spacing_mm=acquisition.pixel_spacing_mm,
                matrix=acquisition.matrix,
            )
            rendered = [
                render_plane(
                    heart=heart,
                    frame=frame,
                    plane=plane,
                    contraction=cine_contraction,
                    contrast=cine_contrast,
                    rng=rng,
                    short_axis=False,
                )
            ]
            planes, triggers, window = [plane], cine_triggers, _window(cine_contrast)
        referenced = (
            first_sax_uid if plan.kind != CINE_SAX else _first_uid(ids, acquisition.series, LAX_VIEWS[0])
        )
        content = SeriesContent(
            plan=plan,
            planes=planes,
            pixels=[r.pixels for r in rendered],
            trigger_times_ms=triggers,
            series_start=start,
            referenced_sop_instance_uid=referenced,
            window=window,
        )
        paths = write_series(directory=out_dir, case=params, ids=ids, content=content)
        series_truth.append(
            {
                "series_number": plan.number,
                "description": plan.description,
                "description_is_informative": is_informative(plan.description),
                "expected_kind": plan.kind,
                "series_instance_uid": ids.series_instance_uid(series_number=plan.number),
                "instances": len(paths),
            }
        )
    planted = ids.as_labels()
    for plan in acquisition.series:
        planted[f"series_instance_uid_{plan.kind}"] = ids.series_instance_uid(series_number=plan.number)
    planted["sop_instance_uid_first_cine_sax"] = first_sax_uid
    truth = build_ground_truth(
        case=params,
        blood_area_mm2=areas["blood"],
        myocardium_area_mm2=areas["myocardium"],
        lge_extent_pct=lge_extent_pct,
        series=series_truth,
        planted=planted,
        accession_number=ids.accession_number,
        study_instance_uid=ids.study_instance_uid,
    )
    (out_dir / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def _first_uid(ids: PlantedIdentifiers, series: tuple[SeriesPlan, ...], kind: str) -> str:
    number = next(plan.number for plan in series if plan.kind == kind)
    return ids.sop_instance_uid(series_number=number, instance_number=1)


def _window(contrast) -> tuple[float, float]:
    """A display window from the blood signal, roughly what scanners store."""
    return round(0.5 * contrast.blood), round(1.2 * contrast.blood)
