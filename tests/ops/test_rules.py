from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.choices import AlertKind, AlertStatus
from alerts.models import Alert
from catalog.models import CatalogSyncRun
from connector.models import ConnectorRequest
from jwo_console.models import WorkerHeartbeat
from ops import rules
from ops.models import AlertThresholds
from orders.models import Order
from payments.models import PaymentAttempt
from tests.factories import JwoStoreMappingFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping(db):
    m = JwoStoreMappingFactory(jwo_store_id="jwo-rules-1")
    WorkerHeartbeat.objects.create(worker="w1", last_seen_at=timezone.now())
    return m


def alerts_of(kind):
    return list(Alert.objects.filter(kind=kind).order_by("pk"))


def evaluate(now=None):
    return rules.alert_rules_evaluate(now=now)


def check_cycle(kind, make_true, make_false, *, expect_key=None):
    """Raised once while the condition holds (re-evaluating bumps it), resolved once it clears."""
    evaluate()
    assert alerts_of(kind) == []
    make_true()
    evaluate()
    evaluate()
    found = [a for a in alerts_of(kind) if expect_key is None or a.key == expect_key]
    assert len(found) == 1
    assert found[0].status == AlertStatus.OPEN and found[0].occurrences == 2
    make_false()
    evaluate()
    found[0].refresh_from_db()
    assert found[0].status == AlertStatus.RESOLVED
    return found[0]


def test_orders_in_error_above_the_store_threshold(mapping):
    AlertThresholds.objects.create(store=mapping.store, orders_in_error_max=1)
    orders = [OrderFactory(mapping=mapping, status="ERROR")]
    evaluate()
    assert alerts_of(AlertKind.ORDERS_IN_ERROR) == []  # 1 is not above 1

    check_cycle(
        AlertKind.ORDERS_IN_ERROR,
        lambda: orders.append(OrderFactory(mapping=mapping, status="ERROR")),
        lambda: Order.objects.filter(pk=orders[0].pk).update(status="PAID"),
    )


def test_payment_review_is_raised_for_each_order_and_resolved_when_it_leaves(mapping):
    holder = {}

    def into_review():
        holder["o"] = OrderFactory(mapping=mapping, status="REVIEW")

    alert = check_cycle(
        AlertKind.PAYMENT_REVIEW,
        into_review,
        lambda: Order.objects.filter(pk=holder["o"].pk).update(status="PAID"),
    )
    assert alert.key == f"order:{holder['o'].pk}"


def _pending_attempt(order, minutes_ago):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    PaymentAttempt.objects.create(
        order=order, attempt_no=1, retry_no=0, status="PENDING", service="PAYMENT_SERVICE",
        idempotency_key=f"metrics-{order.pk}-1", trigger="AUTO",
        currency="USD", requested_amount=order.total, capture_amount=order.total,
    )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(last_attempt_at=at)


def test_payment_pending_longer_than_the_threshold(mapping):
    AlertThresholds.objects.create(store=mapping.store, payment_pending_minutes=20)
    order = OrderFactory(mapping=mapping, status="PRICED")
    _pending_attempt(order, minutes_ago=5)
    evaluate()
    assert alerts_of(AlertKind.PAYMENT_PENDING_TOO_LONG) == []  # not for long enough yet
    Order.objects.filter(pk=order.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=30))
    evaluate()
    evaluate()
    [alert] = alerts_of(AlertKind.PAYMENT_PENDING_TOO_LONG)
    assert alert.status == AlertStatus.OPEN and alert.occurrences == 2
    Order.objects.filter(pk=order.pk).update(status="PAID")
    evaluate()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_engine_pending_alert_resolved_once_the_order_is_paid(mapping):
    from alerts.services import alert_raise

    order = OrderFactory(mapping=mapping, status="ERROR")
    alert = alert_raise(kind=AlertKind.PAYMENT_PENDING_TOO_LONG, key=f"order:{order.pk}",
                        title="stayed PENDING", store=mapping.store)  # fmt: skip
    evaluate()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    Order.objects.filter(pk=order.pk).update(status="PAID")
    evaluate()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_preauth_near_expiry(mapping, settings):
    settings.JWO_PREAUTH_LIFETIME_HOURS = 72
    AlertThresholds.objects.create(store=mapping.store, preauth_warn_hours=12)
    order = OrderFactory(mapping=mapping, status="PRICED", age=timedelta(hours=10))
    evaluate()
    assert alerts_of(AlertKind.PREAUTH_NEAR_EXPIRY) == []  # lapses in ~62 h
    check_cycle(
        AlertKind.PREAUTH_NEAR_EXPIRY,
        lambda: order.trip.__class__.objects.filter(pk=order.trip_id).update(
            started_at=timezone.now() - timedelta(hours=65)
        ),
        lambda: Order.objects.filter(pk=order.pk).update(status="PAID"),
    )


def _sync(store, status, rejected=0):
    return CatalogSyncRun.objects.create(
        store=store, status=status, items_rejected=rejected, finished_at=timezone.now()
    )


def test_failed_catalog_sync(mapping):
    check_cycle(
        AlertKind.CATALOG_SYNC_FAILED,
        lambda: _sync(mapping.store, "FAILED"),
        lambda: _sync(mapping.store, "COMPLETED"),
    )


def test_rejected_catalog_items_above_threshold(mapping):
    AlertThresholds.objects.create(store=mapping.store, catalog_rejected_max=2)
    _sync(mapping.store, "COMPLETED", rejected=2)
    evaluate()
    assert alerts_of(AlertKind.CATALOG_ITEMS_REJECTED) == []
    check_cycle(
        AlertKind.CATALOG_ITEMS_REJECTED,
        lambda: _sync(mapping.store, "COMPLETED", rejected=3),
        lambda: _sync(mapping.store, "COMPLETED", rejected=0),
    )


def test_alert_titles_say_one_item_and_one_order_in_the_singular(mapping):
    AlertThresholds.objects.create(
        store=mapping.store, catalog_rejected_max=0, orders_in_error_max=0
    )
    _sync(mapping.store, "COMPLETED", rejected=1)
    OrderFactory(mapping=mapping, status="ERROR")
    evaluate()
    (rejected,) = alerts_of(AlertKind.CATALOG_ITEMS_REJECTED)
    assert rejected.title == "Amazon rejected 1 item in the latest sync"
    (in_error,) = alerts_of(AlertKind.ORDERS_IN_ERROR)
    assert in_error.title == "1 order in ERROR (threshold 0)"
    _sync(mapping.store, "COMPLETED", rejected=4)
    OrderFactory(mapping=mapping, status="ERROR")
    evaluate()
    rejected.refresh_from_db()
    in_error.refresh_from_db()
    assert rejected.title == "Amazon rejected 4 items in the latest sync"
    assert in_error.title == "2 orders in ERROR (threshold 0)"


def test_connector_5xx_in_the_window(mapping):
    AlertThresholds.objects.create(store=mapping.store, connector_window_minutes=10)
    holder = {}

    def fail():
        holder["r"] = ConnectorRequest.objects.create(
            endpoint="PURCHASES", store_id="jwo-rules-1", response_status=503
        )

    def age_out():
        ConnectorRequest.objects.filter(pk=holder["r"].pk).update(
            received_at=timezone.now() - timedelta(minutes=11)
        )

    ConnectorRequest.objects.create(endpoint="PURCHASES", store_id="jwo-rules-1",
                                    response_status=400)  # fmt: skip
    check_cycle(AlertKind.CONNECTOR_5XX, fail, age_out)


def test_stale_worker_heartbeat(mapping, settings):
    settings.HEALTH_WORKER_STALE_AFTER_SECONDS = 300
    check_cycle(
        AlertKind.WORKER_STALE,
        lambda: WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - timedelta(hours=1)),
        lambda: WorkerHeartbeat.objects.update(last_seen_at=timezone.now()),
    )


def test_a_failing_rule_does_not_stop_the_others(mapping, monkeypatch):
    def broken(**kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "STORE_RULES", (broken, rules.rule_orders_in_error))
    AlertThresholds.objects.create(store=mapping.store, orders_in_error_max=0)
    OrderFactory(mapping=mapping, status="ERROR")
    evaluate()
    assert len(alerts_of(AlertKind.ORDERS_IN_ERROR)) == 1


def test_the_beat_task_runs_the_rules(mapping, settings):
    from ops.tasks import alert_rules_evaluate_task

    assert "alert-rules" in settings.CELERY_BEAT_SCHEDULE
    WorkerHeartbeat.objects.all().delete()
    result = alert_rules_evaluate_task.delay().get()
    assert result["raised"] >= 1
    assert len(alerts_of(AlertKind.WORKER_STALE)) == 1
