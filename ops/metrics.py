"""Prometheus metrics: what the processes count and time, and what the database says at scrape.

Counters and histograms (connector requests, Amazon calls, Celery task durations) live in each
process. With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), prometheus-client
writes them to files in that folder and ``metrics_render`` adds up every process's files, so
several gunicorn workers and Celery pool processes give one set of figures (README, "Metrics and
alerts"). Without it, each process serves only its own figures.

Gauges derived from the database (orders by state, oldest waiting order, catalog sync runs,
reconciliation mismatches) and the Celery queue depths are computed by ``DatabaseCollector`` at
scrape time, with a few indexed aggregate queries.
"""

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from jwo_console.queueing import queue_depths

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300)

CONNECTOR_DURATION = Histogram(
    "jwo_connector_request_duration_seconds",
    "Time to answer a request Amazon made to a connector endpoint.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
CONNECTOR_REQUESTS = Counter(
    "jwo_connector_requests",
    "Requests Amazon made to a connector endpoint, by HTTP status answered.",
    ["endpoint", "status"],
)
AMAZON_DURATION = Histogram(
    "jwo_amazon_call_duration_seconds",
    "Time of one HTTP attempt to an Amazon operation (each retry counts).",
    ["service", "operation"],
    buckets=LATENCY_BUCKETS,
)
AMAZON_CALLS = Counter(
    "jwo_amazon_calls",
    "HTTP attempts to an Amazon operation, by status (the HTTP code, or 'error' when none).",
    ["service", "operation", "status"],
)
TASK_DURATION = Histogram(
    "jwo_celery_task_duration_seconds",
    "Run time of a Celery task, by task name and final state.",
    ["task", "state"],
    buckets=TASK_BUCKETS,
)


def connector_request_observe(*, endpoint: str, status: int, seconds: float) -> None:
    CONNECTOR_DURATION.labels(endpoint=endpoint).observe(seconds)
    CONNECTOR_REQUESTS.labels(endpoint=endpoint, status=str(status)).inc()


def amazon_call_observe(record) -> None:
    """A recorder (integrations/amazon/recording.py): one observation per HTTP attempt."""
    status = str(record.http_status) if record.http_status is not None else "error"
    AMAZON_DURATION.labels(service=record.service, operation=record.operation).observe(
        (record.duration_ms or 0) / 1000
    )
    AMAZON_CALLS.labels(service=record.service, operation=record.operation, status=status).inc()


# --- Celery task durations (signals) ----------------------------------------------------------

_task_started: dict[str, float] = {}


def _task_prerun(task_id=None, **_kw) -> None:
    if task_id:
        _task_started[task_id] = time.monotonic()


def _task_postrun(task_id=None, task=None, state=None, **_kw) -> None:
    started = _task_started.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(
        time.monotonic() - started
    )


def _worker_process_shutdown(pid=None, **_kw) -> None:
    if pid and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def celery_signals_connect() -> None:
    from celery.signals import task_postrun, task_prerun, worker_process_shutdown

    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="ops.metrics.task_prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="ops.metrics.task_postrun")
    worker_process_shutdown.connect(
        _worker_process_shutdown, weak=False, dispatch_uid="ops.metrics.process_shutdown"
    )


# --- Scrape-time figures ----------------------------------------------------------------------


class DatabaseCollector:
    """Gauges and totals read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator:
        from catalog.choices import SyncRunStatus
        from catalog.models import CatalogSyncRun
        from orders.choices import OrderStatus
        from orders.models import Order
        from reconciliation.models import MismatchKind, ReconciliationItem, ReconciliationRun
        from stores.models import Store

        now = timezone.now()
        orders = GaugeMetricFamily("jwo_orders", "Orders by state.", labels=["status"])
        counts = dict(Order.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for status in OrderStatus.values:
            orders.add_metric([status], counts.get(status, 0))
        yield orders

        oldest = GaugeMetricFamily(
            "jwo_oldest_waiting_order_age_seconds",
            "Age of the oldest order awaiting pricing (PENDING) or payment (PRICED, or ERROR "
            "inside its retry window); 0 when none waits.",
            labels=["stage"],
        )
        # An ERROR order whose retry window (Order.retry_by) has closed waits for nothing: no
        # automatic retry and no staff Retry will come (payments/rules.py), so it is not counted.
        window_open = Q(created_at__gt=now - timedelta(hours=settings.JWO_RETRY_WINDOW_HOURS))
        for stage, waiting in (
            ("pricing", Q(status=OrderStatus.PENDING)),
            ("payment", Q(status=OrderStatus.PRICED) | Q(window_open, status=OrderStatus.ERROR)),
        ):
            first = Order.objects.filter(waiting).aggregate(t=Min("created_at"))["t"]
            oldest.add_metric([stage], (now - first).total_seconds() if first else 0)
        yield oldest

        runs = CounterMetricFamily(
            "jwo_catalog_sync_runs", "Catalog sync runs, by status.", labels=["status"]
        )
        by_status = dict(
            CatalogSyncRun.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        for status in SyncRunStatus.values:
            runs.add_metric([status], by_status.get(status, 0))
        yield runs
        rejected = CatalogSyncRun.objects.aggregate(n=Sum("items_rejected"))["n"] or 0
        yield CounterMetricFamily(
            "jwo_catalog_items_rejected", "Items Amazon rejected, over all sync runs.", rejected
        )

        # Each store's newest run (by day, then id), then that run's items by kind (indexed).
        newest = (
            ReconciliationRun.objects.filter(store=OuterRef("pk"))
            .order_by("-day", "-pk")
            .values("pk")
        )
        run_ids = [
            pk
            for pk in Store.objects.annotate(run=Subquery(newest[:1])).values_list("run", flat=True)
            if pk is not None
        ]
        mismatches = GaugeMetricFamily(
            "jwo_reconciliation_mismatches",
            "Mismatches in each store's newest reconciliation run, by kind.",
            labels=["kind"],
        )
        by_kind = dict(
            ReconciliationItem.objects.filter(run_id__in=run_ids)
            .values_list("kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for kind in MismatchKind.values:
            mismatches.add_metric([kind], by_kind.get(kind, 0))
        yield mismatches

        depths = queue_depths()
        if depths is not None:
            depth = GaugeMetricFamily(
                "jwo_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
            )
            for queue, n in depths.items():
                depth.add_metric([queue], n)
            yield depth


def metrics_render() -> tuple[bytes, str]:
    """The exposition text: the processes' counters and histograms, then the database's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    database_registry = CollectorRegistry()
    database_registry.register(DatabaseCollector())
    return generate_latest(process_registry) + generate_latest(database_registry), (
        CONTENT_TYPE_LATEST
    )
