"""Reconciliation: a store's day (in the store's time zone) of our orders against Amazon's
records of them (the intra-day files, feeds/intraday.py).

An order is ours on the day its trip ended; Amazon's on its order time. A trip found on one side
in the day and on the other side on a neighbouring day (a late file, midnight) is compared, not
called missing. Amounts are compared where Amazon's file gives them; statuses through the
groups below (Amazon's status values are not in its public pages)."""

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertKind
from feeds.models import AmazonOrder
from jwo_console.exceptions import ApplicationError
from orders.choices import OrderStatus
from orders.models import Order
from stores.models import Store

from .models import KIND_FIELDS, MismatchKind, ReconciliationItem, ReconciliationRun, RunStatus

logger = logging.getLogger(__name__)

# Amazon's status → a group; our status (and amounts) → the groups that agree with it.
AMAZON_STATUS_GROUPS = {
    "charged": {"CAPTURED", "CAPTUREAPPROVED", "SETTLED", "COMPLETED", "CHARGED", "PAID",
                "REFUNDED", "PARTIALLY_REFUNDED"},
    "cancelled": {"CANCELLED", "CANCELED", "VOID", "VOIDED"},
    "declined": {"DECLINED", "FAILED", "AUTHORIZATIONDECLINED", "CAPTUREDECLINED"},
    "open": {"AUTHORIZED", "AUTHORIZATIONAPPROVED", "PENDING", "OPEN", "CREATED"},
}  # fmt: skip
_GROUP_OF = {s: g for g, statuses in AMAZON_STATUS_GROUPS.items() for s in statuses}
CHUNK = 5000


def day_window(*, store: Store, day: date) -> tuple[datetime, datetime]:
    """[start, end) of the store's day, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=store.zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=store.zone)
    return start, end


def store_today(*, store: Store, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(store.zone).date()


class DayNotStarted(ApplicationError):
    """A day that has not begun in the store's zone: there is nothing to reconcile yet."""


def reconciliation_day_check(*, store: Store, day: date, now: datetime | None = None) -> None:
    """Raise ``DayNotStarted`` for a day after the store's today (its zone): a run of it would
    only ever report an empty day as reconciled."""
    today = store_today(store=store, now=now)
    if day > today:
        raise DayNotStarted(
            f"{day.isoformat()} has not started yet at {store.name} "
            f"(today there is {today.isoformat()}); choose {today.isoformat()} or earlier."
        )


def our_groups(status: str, total: Decimal, captured: Decimal) -> set[str]:
    if status in (OrderStatus.PAID, OrderStatus.COMPLETED):
        if captured > 0:
            return {"charged"}
        return {"cancelled"} if total == 0 else {"cancelled", "declined"}
    if status == OrderStatus.ERROR:
        return {"declined", "open"}
    return {"open"}


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def compare(ours: tuple, theirs: tuple) -> list[tuple[str, str, str]]:
    """(kind, ours, Amazon's) for each difference of one order. ``ours`` is (status, total,
    captured, refunded); ``theirs`` (status, total, captured, refunded), None where unknown."""
    status, total, captured, refunded = ours
    a_status, a_total, a_captured, a_refunded = theirs
    found = []
    for kind, mine, amazons in (
        (MismatchKind.TOTAL, total, a_total),
        (MismatchKind.CAPTURED, captured, a_captured),
        (MismatchKind.REFUNDED, refunded, a_refunded),
    ):
        if amazons is not None and mine != amazons:
            found.append((kind, f"{mine}", f"{amazons}"))
    group = _GROUP_OF.get((a_status or "").upper().replace(" ", ""))
    if a_status and (group is None or group not in our_groups(status, total, captured)):
        found.append((MismatchKind.STATUS, status, a_status))
    return found


def reconciliation_run(
    *, store: Store, day: date, trigger: str, requested_by=None
) -> ReconciliationRun:
    """Reconcile one store's day and keep the result (a new run; older runs stay). A day that
    has not started in the store's zone is refused (``DayNotStarted``), no run is made."""
    reconciliation_day_check(store=store, day=day)
    run = ReconciliationRun.objects.create(
        store=store,
        day=day,
        trigger=trigger,
        requested_by=requested_by,
        day_closed=day < store_today(store=store),
    )
    try:
        _reconcile(run)
    except Exception as exc:
        logger.exception("reconciliation failed", extra={"store": store.pk, "day": str(day)})
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    _alert(run)
    return run


def _reconcile(run: ReconciliationRun) -> None:
    store = run.store
    start, end = day_window(store=store, day=run.day)
    fields = ("pk", "trip__trip_id", "status", "total", "captured_amount", "refunded_amount")
    ours = {
        row[1]: row
        for row in Order.objects.filter(
            store=store, trip__ended_at__gte=start, trip__ended_at__lt=end
        )
        .order_by()
        .values_list(*fields)
        .iterator(chunk_size=CHUNK)
    }
    a_fields = ("pk", "trip_id", "status", "total", "captured", "refunded")
    theirs = {
        row[1]: row
        for row in AmazonOrder.objects.filter(
            store=store, ordered_at__gte=start, ordered_at__lt=end
        )
        .order_by()
        .values_list(*a_fields)
        .iterator(chunk_size=CHUNK)
    }
    run.ours, run.amazons = len(ours), len(theirs)
    # Neighbouring days: a trip on one side today and on the other side another day.
    only_ours = [t for t in ours if t not in theirs]
    for chunk in _chunks(only_ours):
        for row in AmazonOrder.objects.filter(store=store, trip_id__in=chunk).values_list(
            *a_fields
        ):
            theirs[row[1]] = row
    only_theirs = [t for t in theirs if t not in ours]
    for chunk in _chunks(only_theirs):
        for row in (
            Order.objects.filter(store=store, trip__trip_id__in=chunk)
            .order_by()
            .values_list(*fields)
        ):
            ours[row[1]] = row
    items: list[ReconciliationItem] = []
    matched = 0
    for trip_id, mine in ours.items():
        amazon = theirs.get(trip_id)
        if amazon is None:
            items.append(
                ReconciliationItem(
                    run=run, kind=MismatchKind.MISSING_AT_AMAZON, trip_id=trip_id,
                    order_id=mine[0], ours=f"{mine[3]}",
                )
            )  # fmt: skip
            continue
        differences = compare(mine[2:], amazon[2:])
        if not differences:
            matched += 1
        for kind, mine_value, amazon_value in differences:
            items.append(
                ReconciliationItem(
                    run=run, kind=kind, trip_id=trip_id, order_id=mine[0],
                    amazon_order_id=amazon[0], ours=mine_value[:100], amazons=amazon_value[:100],
                )
            )  # fmt: skip
    for trip_id, amazon in theirs.items():
        if trip_id not in ours:
            items.append(
                ReconciliationItem(
                    run=run, kind=MismatchKind.MISSING_HERE, trip_id=trip_id,
                    amazon_order_id=amazon[0], amazons=f"{amazon[3]}",
                )
            )  # fmt: skip
    counts = dict.fromkeys(KIND_FIELDS.values(), 0)
    for item in items:
        counts[KIND_FIELDS[item.kind]] += 1
    with transaction.atomic():
        ReconciliationItem.objects.bulk_create(items, batch_size=2000)
        for name, value in counts.items():
            setattr(run, name, value)
        run.matched = matched
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.save()
    logger.info(
        "reconciled",
        extra={"store": store.pk, "day": str(run.day), "matched": matched, "items": len(items)},
    )


ALERT_KIND = AlertKind.RECONCILIATION_MISMATCH


def _alert(run: ReconciliationRun) -> None:
    """RECONCILIATION_MISMATCH, one alert per store and day (alerts/services.py): raised when
    the day's newest run has mismatches, resolved when a later run of the day has none."""
    from alerts.services import alert_raise, alert_resolve

    key = f"reconciliation:{run.store_id}:{run.day.isoformat()}"
    if not run.mismatches:
        try:
            alert_resolve(kind=ALERT_KIND, key=key)
        except Exception:
            logger.exception("reconciliation: alert not resolved", extra={"run": run.pk})
        return
    parts = ", ".join(f"{label.lower()} {n}" for _, label, n in run.counts() if n)
    try:
        alert_raise(
            kind=ALERT_KIND,
            key=key,
            title=f"{run.store.name} {run.day}: {run.mismatches} reconciliation mismatch(es)",
            detail=f"{parts}. /financial/reconciliation/runs/{run.pk}/",
            store=run.store,
            severity="warning",
        )
    except Exception:
        logger.exception("reconciliation: alert not raised", extra={"run": run.pk})


def reconciliation_daily(*, now: datetime | None = None) -> int:
    """Beat (hourly): each mapped store's yesterday, in its zone, once it has closed for an hour
    (late files), if no run of it has finished since then. Returns the runs made."""
    from .models import RunTrigger

    now = now or timezone.now()
    made = 0
    for store in Store.objects.filter(jwo_mapping__isnull=False):
        yesterday = store_today(store=store, now=now) - timedelta(days=1)
        _, closed = day_window(store=store, day=yesterday)
        if now < closed + timedelta(hours=1):
            continue
        done = ReconciliationRun.objects.filter(
            store=store, day=yesterday, status=RunStatus.DONE, started_at__gte=closed
        ).exists()
        if not done:
            reconciliation_run(store=store, day=yesterday, trigger=RunTrigger.SCHEDULE)
            made += 1
    return made
