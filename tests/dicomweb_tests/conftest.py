"""Personas' clients and a small stored archive: two studies, three series, seven instances."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import requests
from django.test import Client

from cmr_reader.imaging.models import Case, Instance, Series
from tests.dicomweb_tests.stored import make_case, make_series, store_instance


@dataclass
class Archive:
    hcm: Case
    cine: Series
    lge: Series
    multiframe: Instance
    cine_frames: list[Instance]
    other: Case
    other_series: Series


@pytest.fixture
def archive(db, private_storage) -> Archive:
    hcm = make_case(case_id="CMR-HCM0000001", study_date=date(2021, 3, 4), description="CMR hypertrophy")
    cine = make_series(case=hcm, number=3, description="cine SA")
    lge = make_series(case=hcm, number=9, description="LGE PSIR")
    cine_frames = [store_instance(series=cine, number=n, root=private_storage, seed=n) for n in (1, 2, 3)]
    multiframe = store_instance(series=cine, number=4, root=private_storage, frames=5, seed=40)
    for n in (1, 2):
        store_instance(series=lge, number=n, root=private_storage, seed=90 + n)
    other = make_case(case_id="CMR-OTHER00002", study_date=date(2019, 6, 1), description="CMR stress")
    other_series = make_series(case=other, number=1, description="perfusion", modality="MR")
    store_instance(series=other_series, number=1, root=private_storage, seed=7)
    return Archive(hcm, cine, lge, multiframe, cine_frames, other, other_series)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coordinator_client(coordinator) -> Client:
    return client_for(coordinator)


@pytest.fixture
def reader_client(reader) -> Client:
    return client_for(reader)


@pytest.fixture
def coordinator_session(coordinator, live_server) -> Iterator[requests.Session]:
    """A requests session carrying the coordinator's Django session cookie, for live_server."""
    client = client_for(coordinator)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    yield session
    # A kept-alive connection would leave a server thread reading from it after the test.
    session.close()


def instance_path(instance: Instance) -> str:
    series = instance.series
    return (
        f"/dicomweb/studies/{series.case.study_instance_uid}/series/{series.series_instance_uid}"
        f"/instances/{instance.sop_instance_uid}"
    )
