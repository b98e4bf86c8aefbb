import pytest
from django.utils.translation import trans_real

from tests.i18n_tests.catalogue import compile_stale


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Pages are rendered from the .mo files: rebuild any older than its .po (a translator who just
    edited django.po reruns these tests without a bootstrap) and drop Django's cached catalogues."""
    if compile_stale():
        trans_real._translations = {}
        trans_real._default = None
