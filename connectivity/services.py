"""Run test: start a store's connectivity run, carry it out, and finish runs whose task was lost.

The database is the source of truth: a run is a row before its task is queued
(jwo_console/queueing.py), its checks are saved as each one finishes (the page shows them while
it runs), beat's sweep (``connectivity_runs_sweep``, every minute) queues again a run still
QUEUED a minute after it was asked for (its task was lost; a task delivered twice claims the run
once), and a run still open ``JWO_CONNECTIVITY_STALE_MINUTES`` after it was asked for — longer
than a task may live (CELERY_TASK_TIME_LIMIT) — or that nothing moved on for
``JWO_CONNECTIVITY_NO_PROGRESS_MINUTES`` (a worker killed mid-run) can no longer be running: it
is finished as INTERRUPTED by the sweep, or when the page or the next Run test looks at it
first. A run takes at most ``JWO_CONNECTIVITY_RUN_SECONDS`` (each check at most
``JWO_CONNECTIVITY_CHECK_SECONDS``). No remote
call runs inside a transaction.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from jwo_console.queueing import send_on_commit
from stores.models import JwoStoreMapping, Store

from . import checks
from .choices import OPEN_STATUSES, CheckStatus, RunStatus
from .models import ConnectivityRun

logger = logging.getLogger(__name__)
RUN_TASK = "connectivity.tasks.connectivity_run_task"
REQUEUE_AFTER = timedelta(minutes=1)


def stale_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(minutes=settings.JWO_CONNECTIVITY_STALE_MINUTES)


def _no_progress_before(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.JWO_CONNECTIVITY_NO_PROGRESS_MINUTES)


def _interruption(run: ConnectivityRun, now: datetime) -> str:
    """Why an open run is over ("" while it may still be going on)."""
    stale = settings.JWO_CONNECTIVITY_STALE_MINUTES
    quiet = settings.JWO_CONNECTIVITY_NO_PROGRESS_MINUTES
    if run.status == RunStatus.QUEUED:
        # the sweep sends a lost task again after REQUEUE_AFTER; then it has ``quiet`` minutes
        if run.created_at < _no_progress_before(now) - REQUEUE_AFTER or run.created_at < (
            stale_before(now)
        ):
            waited = min(stale, quiet + int(REQUEUE_AFTER.total_seconds() // 60))
            return (
                f"Interrupted: the test never started within {waited} minutes; no worker took "
                "its task (is a worker running?). Run the test again."
            )
        return ""
    last = run.progress_at or run.started_at or run.created_at
    if last < _no_progress_before(now):
        return (
            f"Interrupted: the test made no progress for {quiet} minutes; the worker running "
            "it stopped (or its task was lost). Run the test again."
        )
    if run.created_at < stale_before(now):
        return (
            f"Interrupted: the test did not finish within {stale} minutes; the worker running "
            "it stopped (or its task was lost). Run the test again."
        )
    return ""


def connectivity_runs_interrupt_stale(
    *, store: Store | None = None, now: datetime | None = None
) -> int:
    """Finish open runs that can no longer be going on; returns how many. A run is over when it
    was asked for ``JWO_CONNECTIVITY_STALE_MINUTES`` ago, or when nothing moved it on for
    ``JWO_CONNECTIVITY_NO_PROGRESS_MINUTES`` (each check is bounded in time, checks.py, so a
    live worker finishes one well within that): still queued — no worker took it; running —
    its worker stopped (killed mid-run). Its store can then be tested again."""
    now = now or timezone.now()
    quiet = _no_progress_before(now)
    runs = ConnectivityRun.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(created_at__lt=stale_before(now))
        | Q(status=RunStatus.QUEUED, created_at__lt=quiet - REQUEUE_AFTER)
        | Q(status=RunStatus.RUNNING, progress_at__lt=quiet)
        | Q(status=RunStatus.RUNNING, progress_at__isnull=True, created_at__lt=quiet)
    )
    if store is not None:
        runs = runs.filter(store=store)
    finished = 0
    for run in runs:
        with transaction.atomic():
            locked = ConnectivityRun.objects.select_for_update().filter(pk=run.pk).first()
            if locked is None or not locked.is_open:
                continue
            why = _interruption(locked, now)
            if not why:
                continue
            locked.status = RunStatus.INTERRUPTED
            locked.finished_at = now
            locked.error = why
            for check in locked.checks:
                if check.get("status") == CheckStatus.PENDING:
                    check.update(status=CheckStatus.SKIPPED.value, diagnosis="Not reached.")
            locked.save(update_fields=["status", "finished_at", "error", "checks"])
            finished += 1
    if finished:
        logger.warning("connectivity runs interrupted", extra={"count": finished})
    return finished


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
        status=RunStatus.RUNNING, started_at=now, progress_at=now
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
    budget = settings.JWO_CONNECTIVITY_RUN_SECONDS
    ends = time.monotonic() + budget
    for index, check in enumerate(list(run.checks)):
        left = ends - time.monotonic()
        if left < 1.0:  # the run's time is up: what is left is said, not run
            run.checks[index] = {
                **check,
                "status": CheckStatus.SKIPPED.value,
                "diagnosis": f"Not run: the run's {budget:g} s (JWO_CONNECTIVITY_RUN_SECONDS) "
                "were used up by the slow answers above.",
            }
            continue
        bound = min(settings.JWO_CONNECTIVITY_CHECK_SECONDS, left)
        try:
            done = checks.check_run(check, mapping=mapping, run_id=run.pk, seconds=bound)
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
            checks=run.checks, progress_at=timezone.now()
        )
        if not updated:
            return run
    return _finish(run)


def _finish(run: ConnectivityRun, *, error: str = "") -> ConnectivityRun:
    failed = error or any(c.get("status") == CheckStatus.FAILED for c in run.checks)
    unsure = any(c.get("status") == CheckStatus.INCONCLUSIVE for c in run.checks)
    if failed:
        run.status = RunStatus.FAILED
    else:
        run.status = RunStatus.INCONCLUSIVE if unsure else RunStatus.PASSED
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
