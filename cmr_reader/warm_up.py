"""What a web process loads before it takes its first request.

Django imports the views when the URLconf is first resolved, that is, on a worker's first
request; the analysis and report views bring statsmodels, matplotlib, pandas, nltk and pypinyin
with them. Measured on the 2-core dev VM, that first request took 4.5 s instead of 6 ms, and
under the autosave bench, four gunicorn workers starting together under 50 readers held saves
for 8-12 s (decision 0031, bench/README.md). gunicorn hands a worker requests only once its
application is loaded, so doing this work at load time (``cmr_reader/wsgi.py``) means no reader
ever waits for it.

Then the ~500,000 objects loaded are moved out of the garbage collector's reach
(``gc.freeze``): they live as long as the process, and a full collection that walks them took
166 ms on an idle machine (more under load), holding every thread of the worker. Frozen, a full
collection takes well under a millisecond, and with gunicorn's ``--preload`` the forked workers
no longer write to the shared pages when they collect (Python's documentation of ``gc.freeze``).
"""

import gc
import time

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> float:
    """Import every view (through the URLconf), load each language's catalogue and freeze what
    was loaded; returns the seconds it took."""
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 - the import is the point
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Reading")
    gc.collect()  # what loading left as garbage goes first; the rest is kept for good
    gc.freeze()
    return time.perf_counter() - started
