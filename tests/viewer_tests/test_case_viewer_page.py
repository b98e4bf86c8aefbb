"""The standalone viewer page: staff only, the manifest it embeds, and nothing identifying."""

import json
import re

import pytest
from django.test import Client

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(synthetic_case_dir, private_storage, settings) -> Case:
    import_sources(
        iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    return Case.objects.get()


@pytest.fixture
def truth(synthetic_case_dir) -> dict:
    return json.loads((synthetic_case_dir / "ground_truth.json").read_text())


def page(user, case, query: str = "") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/cases/{case.case_id}/viewer/{query}")
    assert response.status_code == 200
    return response.content.decode()


def manifest_of(html: str) -> dict:
    match = re.search(r'<script id="cmr-viewer-manifest" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_the_page_hangs_sax_cine_4ch_cine_and_lge_stack(case, coordinator, truth):
    manifest = manifest_of(page(coordinator, case))

    by_uid = {s["uid"]: s for s in manifest["series"]}
    assert manifest["layout"] == "1+2"
    assert manifest["layouts"]["1+2"] == {
        "rows": 2,
        "columns": 3,
        "cells": [[0, 0, 2, 2], [0, 2, 1, 1], [1, 2, 1, 1]],
    }
    assert len(manifest["layouts"]["2x2"]["cells"]) == 4
    assert [by_uid[uid]["kind"] for uid in manifest["viewports"]] == ["cine_sax", "cine_4ch", "lge_sax"]
    assert [s["kind"] for s in manifest["series"]] == [
        "cine_sax",
        "cine_4ch",
        "cine_2ch",
        "cine_3ch",
        "lge_sax",
    ]
    sax = by_uid[manifest["viewports"][0]]
    expected_sax = next(s for s in truth["series"] if s["expected_kind"] == "cine_sax")
    assert sax["phase_count"] == 6
    assert len(sax["slices"]) * 6 == expected_sax["instances"]
    assert sax["is_cine"] and not sax["is_lge"]
    # The synthetic cine spreads its phases evenly over the R-R interval.
    assert sax["frame_ms"] == pytest.approx(60000 / truth["heart_rate_bpm"] / 6, rel=0.02)
    assert sax["frame_ms_source"] == "trigger_time"
    # Where each phase falls in the R-R interval, for playing viewports in step.
    assert sax["cycle_ms"] == pytest.approx(60000 / truth["heart_rate_bpm"], abs=1)
    assert sax["trigger_ms"] == pytest.approx([p * sax["cycle_ms"] / 6 for p in range(6)], abs=1)
    lge = by_uid[manifest["viewports"][2]]
    assert lge["phase_count"] == 1 and lge["is_lge"]


def test_the_series_metadata_of_the_first_viewports_is_preloaded(case, coordinator):
    html = page(coordinator, case)
    manifest = manifest_of(html)
    preloads = re.findall(r'<link rel="preload" as="fetch" crossorigin href="([^"]+)">', html)
    assert preloads == [
        f"/dicomweb/studies/{manifest['study']}/series/{uid}/metadata" for uid in manifest["viewports"]
    ]
    assert 'data-loader="wadors"' in html
    assert "viewer/viewer.js" in html

    wado_uri = page(coordinator, case, "?loader=wadouri")
    assert 'data-loader="wadouri"' in wado_uri and 'rel="preload"' not in wado_uri
    assert 'data-loader="wadors"' in page(coordinator, case, "?loader=<script>")


def test_nothing_identifying_reaches_the_page(case, statistician, truth):
    html = page(statistician, case)
    for name, value in truth["planted_identifiers"].items():
        assert str(value) not in html, name


def test_readers_outsiders_and_strangers_cannot_open_the_standalone_viewer(case, reader, outsider, client):
    for user in (reader, outsider):
        signed_in = Client()
        signed_in.force_login(user)
        assert signed_in.get(f"/cases/{case.case_id}/viewer/").status_code == 403
    assert client.get(f"/cases/{case.case_id}/viewer/").status_code == 302


def test_an_unknown_case_is_not_found(coordinator, db):
    client = Client()
    client.force_login(coordinator)
    assert client.get("/cases/CMR-NOSUCHCASE/viewer/").status_code == 404


def test_a_case_without_series_still_opens(coordinator):
    empty = Case.objects.create(case_id="CMR-EMPTY00001", patient_pseudonym="P0", study_instance_uid="2.25.1")
    manifest = manifest_of(page(coordinator, empty))
    assert manifest["series"] == [] and manifest["viewports"] == [] and manifest["layout"] == "1x1"
