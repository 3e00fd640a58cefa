"""A worker keeps its database connection between tasks, as a web process keeps it between
requests (jwo_console/celery.py): Celery's fixup would otherwise open a PostgreSQL backend for
every task (about six an order in the halftime rush, bench/rush.py)."""

from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from jwo_console.celery import _database_connections_by_django_rules, app

pytestmark = pytest.mark.django_db(transaction=True)

TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))


def _run_tasks(fixup: DjangoWorkerFixup, n: int) -> list:
    """What a worker does around each of ``n`` tasks: the fixup's handlers and ours. The
    connection each task's work ran on."""
    used = []
    for _ in range(n):
        fixup.on_task_prerun(sender=TASK)
        _database_connections_by_django_rules(task=TASK)
        with connection.cursor() as cursor:  # the task's work
            cursor.execute("SELECT 1")
        used.append(connection.connection)
        fixup.on_task_postrun(sender=TASK)
        _database_connections_by_django_rules(task=TASK)
    return used


def _persistent() -> None:
    """As DATABASE_CONN_MAX_AGE > 0 leaves a connection (the tests' settings use 0)."""
    connection.ensure_connection()
    connection.close_at = None


def test_tasks_reuse_the_connection():
    _persistent()
    raw = connection.connection
    assert _run_tasks(DjangoWorkerFixup(app), 5) == [raw] * 5
    assert connection.connection is raw


def test_a_broken_connection_is_closed_after_its_task_and_the_next_task_gets_a_new_one():
    _persistent()
    raw = connection.connection
    raw.close()  # the server went away mid-task
    connection.errors_occurred = True
    _database_connections_by_django_rules(task=TASK)
    assert connection.connection is None
    (used,) = _run_tasks(DjangoWorkerFixup(app), 1)
    assert used is not None and used is not raw  # its SELECT 1 ran on a new one


def test_a_connection_past_its_age_is_closed():
    connection.ensure_connection()  # CONN_MAX_AGE 0 in the tests: closed after each task
    _database_connections_by_django_rules(task=TASK)
    assert connection.connection is None


def test_an_eager_task_leaves_its_callers_connection_alone():
    connection.ensure_connection()
    raw = connection.connection
    _database_connections_by_django_rules(
        task=SimpleNamespace(request=SimpleNamespace(is_eager=True))
    )
    assert connection.connection is raw
