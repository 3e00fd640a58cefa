"""The Celery app. Broker: REDIS_URL when set, otherwise the embedded filesystem broker.

Periodic schedules are declared in settings (``CELERY_BEAT_SCHEDULE``), in one place.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_console.settings.local")

app = Celery("jwo_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_by_django_rules(**kwargs) -> None:
    """Before and after each task, what Django does around each web request: a connection
    older than ``CONN_MAX_AGE``, one left in a transaction or broken by an error is closed,
    the others kept (and, with ``CONN_HEALTH_CHECKS``, checked before their next use). Celery's
    own fixup would close them all every task unless ``CELERY_DB_REUSE_MAX`` is set
    (jwo_console/settings/celery.py). Eager tasks run inside their caller's connection, which
    is left alone."""
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
