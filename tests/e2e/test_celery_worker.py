import pytest
from django.conf import settings
from django.db.models import Sum

from jwo_console.models import WorkerHeartbeat
from jwo_console.tasks import heartbeat_task
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e


def _wait_for(predicate, timeout: float = 20.0):
    return wait_until(predicate, timeout=timeout, what="the worker")


def _beats() -> int:
    return WorkerHeartbeat.objects.aggregate(n=Sum("beats"))["n"] or 0


def test_a_task_sent_through_the_broker_is_run_by_a_real_worker(celery_worker_real, client):
    transport = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(transport)
    assert _beats() == 0

    result = heartbeat_task.delay()
    assert result.id  # published to the broker, not run inline
    _wait_for(lambda: _beats() >= 1)

    before = _beats()
    heartbeat_task.delay()
    _wait_for(lambda: _beats() > before)

    health = client.get("/healthz").json()
    assert health["checks"]["worker"]["ok"] is True
    assert transport in health["checks"]["broker"]["detail"].lower()
