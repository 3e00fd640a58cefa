import pytest
from celery.contrib.testing.worker import start_worker

from jwo_console.celery import app


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker (in a thread of this process) consuming from the configured broker:
    Redis when REDIS_URL is set (CI), the embedded filesystem broker otherwise."""
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True
