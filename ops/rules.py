"""Alert rules, evaluated by beat (``ops.tasks.alert_rules_evaluate_task``, every minute).

Each rule looks at one condition, per store with that store's thresholds (``AlertThresholds``,
defaults when the store has none), raises through ``alerts.services.alert_raise`` while the
condition holds (an open alert is bumped, not duplicated) and resolves it once it clears.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from alerts.choices import UNRESOLVED, AlertKind, AlertSeverity
from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve
from stores.models import Store

from .models import AlertThresholds

logger = logging.getLogger(__name__)

UNPAID = ("PENDING", "PRICED", "ERROR", "REVIEW")


@dataclass(frozen=True)
class RuleResult:
    raised: int = 0
    resolved: int = 0


def thresholds_for(*, store: Store) -> AlertThresholds:
    """The store's thresholds, or an unsaved row holding the defaults."""
    found = AlertThresholds.objects.filter(store=store).first()
    return found or AlertThresholds(store=store, preauth_warn_hours=settings.JWO_PREAUTH_WARN_HOURS)


def _set(*, active: bool, kind: str, key: str, store: Store | None, title: str, detail: str = "",
         severity: str = AlertSeverity.WARNING) -> tuple[int, int]:  # fmt: skip
    if active:
        alert_raise(kind=kind, key=key, title=title, detail=detail, store=store, severity=severity)
        return 1, 0
    return 0, alert_resolve(kind=kind, key=key)


def _count(n: int, word: str) -> str:
    """``1 item``, ``3 items``: the titles' counts, singular when there is one."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rule_orders_in_error(*, store: Store, limits: AlertThresholds, now: datetime):
    from orders.models import Order

    n = Order.objects.filter(store=store, status="ERROR").count()
    return _set(
        active=n > limits.orders_in_error_max,
        kind=AlertKind.ORDERS_IN_ERROR,
        key=f"store:{store.pk}",
        store=store,
        title=f"{_count(n, 'order')} in ERROR (threshold {limits.orders_in_error_max})",
        detail="See Pricing → Orders, filtered on ERROR.",
    )


def rule_payment_review(*, store: Store, limits: AlertThresholds, now: datetime):
    """Reuses the engine's per-order alert (payments/engine.py): raised (bumped) for each order
    still in REVIEW, resolved for orders that have left it (say, after a manual resolve)."""
    from orders.models import Order

    raised = resolved = 0
    for order in Order.objects.filter(store=store, status="REVIEW").only("pk", "purchase_id"):
        alert_raise(
            kind=AlertKind.PAYMENT_REVIEW,
            key=f"order:{order.pk}",
            title=f"Order {order.purchase_id}: payment outcome unknown — needs review",
            store=store,
            severity=AlertSeverity.CRITICAL,
        )
        raised += 1
    open_keys = Alert.objects.filter(
        kind=AlertKind.PAYMENT_REVIEW, store=store, status__in=UNRESOLVED
    ).values_list("key", flat=True)
    in_review = {
        f"order:{pk}"
        for pk in Order.objects.filter(store=store, status="REVIEW").values_list("pk", flat=True)
    }
    for key in set(open_keys) - in_review:
        resolved += alert_resolve(kind=AlertKind.PAYMENT_REVIEW, key=key)
    return raised, resolved


def rule_payment_pending(*, store: Store, limits: AlertThresholds, now: datetime):
    """Orders not paid whose latest payment attempt is PENDING at Amazon and started (the
    order's ``last_attempt_at``) longer ago than the store's threshold. The engine's per-order
    alert (after JWO_PENDING_MAX_CHECKS checks) is resolved here once its order is paid."""
    from orders.models import Order
    from payments.models import PaymentAttempt

    latest = PaymentAttempt.objects.filter(order=OuterRef("pk")).order_by("-attempt_no")
    cutoff = now - timedelta(minutes=limits.payment_pending_minutes)
    n = (
        Order.objects.filter(store=store, status__in=UNPAID, last_attempt_at__lt=cutoff)
        .annotate(latest_status=Subquery(latest.values("status")[:1]))
        .filter(latest_status="PENDING")
        .count()
    )
    raised, resolved = _set(
        active=n > 0,
        kind=AlertKind.PAYMENT_PENDING_TOO_LONG,
        key=f"store:{store.pk}",
        store=store,
        title=f"{_count(n, 'order')} with a payment PENDING for over "
        f"{limits.payment_pending_minutes} min",
    )
    paid = Order.objects.filter(store=store).exclude(status__in=UNPAID).values_list("pk", flat=True)
    for key in Alert.objects.filter(
        kind=AlertKind.PAYMENT_PENDING_TOO_LONG,
        store=store,
        status__in=UNRESOLVED,
        key__in=[f"order:{pk}" for pk in paid],
    ).values_list("key", flat=True):
        resolved += alert_resolve(kind=AlertKind.PAYMENT_PENDING_TOO_LONG, key=key)
    return raised, resolved


def rule_preauth_near_expiry(*, store: Store, limits: AlertThresholds, now: datetime):
    """Unpaid orders whose gate pre-auth lapses within the store's warning: the pre-auth is
    assumed to last JWO_PREAUTH_LIFETIME_HOURS from the trip's start (payments/rules.py
    ``preauth_expires_at``), so a capture after that may be refused."""
    from orders.models import Order

    hours = settings.JWO_PREAUTH_LIFETIME_HOURS - limits.preauth_warn_hours
    n = Order.objects.filter(
        store=store, status__in=UNPAID, trip__started_at__lte=now - timedelta(hours=hours)
    ).count()
    return _set(
        active=n > 0,
        kind=AlertKind.PREAUTH_NEAR_EXPIRY,
        key=f"store:{store.pk}",
        store=store,
        title=f"{_count(n, 'unpaid order')} whose pre-auth lapses within "
        f"{limits.preauth_warn_hours} h",
        detail="See Pricing → Orders, filter 'Pre-auth expiring'.",
    )


def rule_catalog_sync(*, store: Store, limits: AlertThresholds, now: datetime):
    """The store's latest finished catalog sync: failed, or with too many rejected items."""
    from catalog.models import CatalogSyncRun

    run = (
        CatalogSyncRun.objects.filter(store=store, status__in=["COMPLETED", "FAILED"])
        .order_by("-finished_at", "-pk")
        .first()
    )
    failed = _set(
        active=run is not None and run.status == "FAILED",
        kind=AlertKind.CATALOG_SYNC_FAILED,
        key=f"store:{store.pk}",
        store=store,
        title=f"Catalog sync {run.pk if run else ''} failed",
        detail=run.error if run else "",
    )
    rejected = _set(
        active=run is not None and run.items_rejected > limits.catalog_rejected_max,
        kind=AlertKind.CATALOG_ITEMS_REJECTED,
        key=f"store:{store.pk}",
        store=store,
        title=f"Amazon rejected {_count(run.items_rejected if run else 0, 'item')} "
        "in the latest sync",
        detail="See Catalog → Items, filtered on Rejected.",
    )
    return failed[0] + rejected[0], failed[1] + rejected[1]


def rule_connector_5xx(*, store: Store, limits: AlertThresholds, now: datetime):
    from connector.models import ConnectorRequest
    from stores.models import JwoStoreMapping

    jwo_id = JwoStoreMapping.objects.filter(store=store).values_list("jwo_store_id", flat=True)
    jwo_id = jwo_id.first()
    n = 0
    if jwo_id:
        n = ConnectorRequest.objects.filter(
            store_id=jwo_id,
            received_at__gte=now - timedelta(minutes=limits.connector_window_minutes),
            response_status__gte=500,
        ).count()
    return _set(
        active=n > limits.connector_5xx_max,
        kind=AlertKind.CONNECTOR_5XX,
        key=f"store:{store.pk}",
        store=store,
        title=f"The connector answered 5xx {_count(n, 'time')} in "
        f"{limits.connector_window_minutes} min",
        detail="See Settings → Connector requests.",
        severity=AlertSeverity.CRITICAL,
    )


STORE_RULES = (
    rule_orders_in_error,
    rule_payment_review,
    rule_payment_pending,
    rule_preauth_near_expiry,
    rule_catalog_sync,
    rule_connector_5xx,
)


def rule_worker_heartbeat(*, now: datetime) -> tuple[int, int]:
    """House-wide: no worker has run the heartbeat (critical queue) for
    HEALTH_WORKER_STALE_AFTER_SECONDS. The rules run on the celery queue, so a stalled critical
    pool is seen by the other one."""
    from jwo_console.models import WorkerHeartbeat

    newest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    stale_after = timedelta(seconds=settings.HEALTH_WORKER_STALE_AFTER_SECONDS)
    stale = newest is None or now - newest.last_seen_at > stale_after
    age = f"{int((now - newest.last_seen_at).total_seconds())} s ago" if newest else "never"
    return _set(
        active=stale,
        kind=AlertKind.WORKER_STALE,
        key="house",
        store=None,
        title=f"Worker heartbeat stale (last {age})",
        severity=AlertSeverity.CRITICAL,
    )


def alert_rules_evaluate(*, now: datetime | None = None) -> RuleResult:
    """Every rule for every store, then the house-wide ones. A failing rule is logged and the
    others still run."""
    now = now or timezone.now()
    raised = resolved = 0
    for store in Store.objects.all():
        limits = thresholds_for(store=store)
        for rule in STORE_RULES:
            try:
                r, s = rule(store=store, limits=limits, now=now)
            except Exception:
                logger.exception("alert rule failed", extra={"rule": rule.__name__,
                                                             "store_id": store.pk})  # fmt: skip
                continue
            raised, resolved = raised + r, resolved + s
    r, s = rule_worker_heartbeat(now=now)
    return RuleResult(raised=raised + r, resolved=resolved + s)
