"""``/health/`` for load balancers and monitoring: no login, and nothing that identifies anyone.

Answers 200 while the database answers (``status`` is "degraded" when something else is wrong,
such as a storage that cannot be written) and 503 when the database does not, since without it
no page works. The task queue's depth and the age of its oldest ready task tell a monitor that
the db_worker has stopped before readers notice missing imports.
"""

import logging
from datetime import datetime

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult

from cmr_reader.imaging.instance_store import dicom_store

logger = logging.getLogger(__name__)


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False


def storage_writable() -> bool:
    """Writes and removes a small file (or object): only a write finds a full disk or a read-only mount."""
    return dicom_store().writable()


def task_queue(*, now: datetime) -> dict:
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "ready": ready.count(),
        "oldest_ready_age_seconds": None if oldest is None else round((now - oldest).total_seconds()),
    }


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = database_reachable()
    storage = storage_writable()
    body = {
        "status": "ok" if database and storage else "degraded",
        "database": database,
        "storage_writable": storage,
        "tasks": task_queue(now=timezone.now()) if database else None,
    }
    return JsonResponse(body, status=200 if database else 503)
