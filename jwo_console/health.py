"""Health checks: the database and the Celery broker (and, for information, the workers)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .selectors import worker_last_seen_at

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        logger.warning("health: database check failed: %s", exc.__class__.__name__)
        return CheckResult(False, exc.__class__.__name__)
    return CheckResult(True, connection.vendor)


def check_broker() -> CheckResult:
    from jwo_console.celery import app

    timeout = settings.HEALTH_BROKER_TIMEOUT_SECONDS
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            transport = conn.transport_cls
    except Exception as exc:
        logger.warning("health: broker check failed: %s", exc.__class__.__name__)
        return CheckResult(False, exc.__class__.__name__)
    return CheckResult(True, str(transport))


def check_worker() -> CheckResult:
    """Informational: a worker can run elsewhere, so a stale heartbeat is shown, not fatal."""
    last = worker_last_seen_at()
    if last is None:
        return CheckResult(False, "no heartbeat yet")
    age = (timezone.now() - last).total_seconds()
    fresh = age <= settings.HEALTH_WORKER_STALE_AFTER_SECONDS
    return CheckResult(fresh, f"last heartbeat {int(age)} s ago")
