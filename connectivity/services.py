"""Run test: start a store's connectivity run, carry it out, and finish runs whose task was lost.

The database is the source of truth: a run is a row before its task is queued
(jwo_console/queueing.py), its checks are saved as each one finishes (the page shows them while
it runs), beat's sweep (``connectivity_runs_sweep``, every minute) queues again a run still
QUEUED a minute after it was asked for (its task was lost; a task delivered twice claims the run
once), and a run still open ``JWO_CONNECTIVITY_STALE_MINUTES`` after it was asked for — longer
than a task may live (CELERY_TASK_TIME_LIMIT) — can no longer be running: it is finished as
INTERRUPTED by the sweep, or when the page or the next Run test looks at it first. No remote
call runs inside a transaction.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from jwo_console.queueing import send_on_commit
from stores.models import JwoStoreMapping, Store

from . import checks
from .choices import OPEN_STATUSES, CheckStatus, RunStatus
from .models import ConnectivityRun

logger = logging.getLogger(__name__)
RUN_TASK = "connectivity.tasks.connectivity_run_task"


def stale_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(minutes=settings.JWO_CONNECTIVITY_STALE_MINUTES)


def connectivity_runs_interrupt_stale(
    *, store: Store | None = None, now: datetime | None = None
) -> int:
    """Finish open runs asked for too long ago (their task was lost); returns how many."""
    now = now or timezone.now()
    runs = ConnectivityRun.objects.filter(
        status__in=OPEN_STATUSES, created_at__lt=stale_before(now)
    )
    if store is not None:
        runs = runs.filter(store=store)
    finished = 0
    for run in runs:
        with transaction.atomic():
            locked = ConnectivityRun.objects.select_for_update().filter(pk=run.pk).first()
            if locked is None or not locked.is_open:
                continue
            minutes = settings.JWO_CONNECTIVITY_STALE_MINUTES
            never_started = locked.status == RunStatus.QUEUED
            locked.status = RunStatus.INTERRUPTED
            locked.finished_at = now
            locked.error = (
                f"Interrupted: the test {'never started' if never_started else 'did not finish'} "
                f"within {minutes} minutes; its task was lost (is a worker running?). "
                "Run the test again."
            )
            for check in locked.checks:
                if check.get("status") == CheckStatus.PENDING:
                    check.update(status=CheckStatus.SKIPPED.value, diagnosis="Not reached.")
            locked.save(update_fields=["status", "finished_at", "error", "checks"])
            finished += 1
    if finished:
        logger.warning("connectivity runs interrupted", extra={"count": finished})
    return finished


REQUEUE_AFTER = timedelta(minutes=1)


def connectivity_runs_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Beat's sweep: (runs queued again, runs interrupted). A run still QUEUED after
    ``REQUEUE_AFTER`` has lost its task (the broker was down, the message was dropped): its
    task is sent again; runs open too long are finished as interrupted."""
    now = now or timezone.now()
    interrupted = connectivity_runs_interrupt_stale(now=now)
    waiting = ConnectivityRun.objects.filter(
        status=RunStatus.QUEUED, created_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    requeued = 0
    for run_id in waiting:
        send_on_commit(RUN_TASK, run_id, connectivity_run_id=run_id)
        requeued += 1
    if requeued:
        logger.info("connectivity runs queued again", extra={"count": requeued})
    return requeued, interrupted


def connectivity_run_start(
    *, mapping: JwoStoreMapping, actor: AbstractBaseUser | None
) -> tuple[ConnectivityRun, bool]:
    """(the run, created?): a new run with its checks planned and its task queued after the
    commit, or the store's run already under way (two clicks at once start one run)."""
    connectivity_runs_interrupt_stale(store=mapping.store)
    plan = checks.checks_plan(mapping=mapping)
    try:
        with transaction.atomic():
            run = ConnectivityRun.objects.create(
                store=mapping.store, requested_by=actor, checks=plan
            )
            logger.info(
                "connectivity run queued",
                extra={"connectivity_run_id": run.pk, "store_id": mapping.store_id},
            )
            send_on_commit(RUN_TASK, run.pk, connectivity_run_id=run.pk)
    except IntegrityError as exc:
        existing = ConnectivityRun.objects.filter(
            store=mapping.store, status__in=OPEN_STATUSES
        ).first()
        if existing is None:  # pragma: no cover (the open run finished at this very moment)
            raise ApplicationError("A test of this store has just finished; run it again.") from exc
        return existing, False
    return run, True


def _claim(run_id: int) -> ConnectivityRun | None:
    """QUEUED → RUNNING, once (a task delivered twice does nothing the second time)."""
    now = timezone.now()
    taken = ConnectivityRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now
    )
    return ConnectivityRun.objects.select_related("store").get(pk=run_id) if taken else None


def connectivity_run_execute(*, run_id: int) -> ConnectivityRun | None:
    """Carry out each planned check, saving the run after each one; the result at the end."""
    run = _claim(run_id)
    if run is None:
        return None
    mapping = JwoStoreMapping.objects.select_related("store").filter(store=run.store).first()
    if mapping is None:
        return _finish(run, error="The store is no longer mapped to Just Walk Out.")
    for index, check in enumerate(list(run.checks)):
        try:
            done = checks.check_run(check, mapping=mapping, run_id=run.pk)
        except Exception as exc:  # one check's bug does not lose the others
            logger.exception("connectivity check failed", extra={"check": check.get("key")})
            done = {
                **check,
                "status": CheckStatus.FAILED.value,
                "diagnosis": "The check itself failed (the console's log has the error).",
                "detail": f"{exc.__class__.__name__}: {exc}"[:500],
            }
        run.checks[index] = done
        # only while the run is still ours (not finished as interrupted meanwhile)
        updated = ConnectivityRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            checks=run.checks
        )
        if not updated:
            return run
    return _finish(run)


def _finish(run: ConnectivityRun, *, error: str = "") -> ConnectivityRun:
    failed = error or any(c.get("status") == CheckStatus.FAILED for c in run.checks)
    run.status = RunStatus.FAILED if failed else RunStatus.PASSED
    run.finished_at = timezone.now()
    run.error = error
    ConnectivityRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=run.status, finished_at=run.finished_at, error=error, checks=run.checks
    )
    logger.info(
        "connectivity run finished",
        extra={"connectivity_run_id": run.pk, "status": run.status},
    )
    return run
