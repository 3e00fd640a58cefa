"""Retry of the ticked orders on the grid: each obeys its own rules, each is reported."""

import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from payments.services import payment_take
from sandbox.models import SandboxTrip
from stores.models import Store
from tests.factories import OrderFactory

from .conftest import trip_id

pytestmark = pytest.mark.django_db(transaction=True)
GRID = "/financial/orders/"


def _declined(mapping, total: str, *, age: timedelta) -> Order:
    order = OrderFactory(mapping=mapping, total=total, trip__trip_id=trip_id("decline"), age=age)
    payment_take(order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=6))
    order.refresh_from_db()
    assert order.status == "ERROR"
    return order


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_bulk_retry_runs_each_order_under_its_own_rules(staff_client, mapping):
    Store.objects.filter(pk=mapping.store_id).update(time_zone="America/New_York")
    ready = _declined(mapping, "6.00", age=timedelta(minutes=30))
    SandboxTrip.objects.filter(trip_id=ready.trip.trip_id).update(card_profile="OK")
    cooling = _declined(mapping, "7.00", age=timedelta(minutes=30))
    Order.objects.filter(pk=cooling.pk).update(last_attempt_at=timezone.now())
    closed = _declined(mapping, "8.00", age=timedelta(hours=49))
    still = _declined(mapping, "9.00", age=timedelta(minutes=30))
    response = staff_client.post(
        reverse("payments:orders-retry"),
        {"order": [ready.pk, cooling.pk, closed.pk, still.pk], "next": GRID + "?has_error=true"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == GRID + "?has_error=true"
    said = _messages(response)
    assert said[0] == (
        "2 retried: 1 paid, 1 still in error; 2 refused: 1 because the last attempt was less "
        "than 5 minutes ago, 1 because the retry window closed."
    )
    by_order = {m.split(":", 1)[0]: m for m in said[1:]}
    assert "paid — captured 6.00 USD" in by_order[ready.purchase_id]
    cooldown = by_order[cooling.purchase_id]
    assert "less than 5 minutes ago (until" in cooldown
    # the store's time, not UTC
    until = timezone.localtime(
        Order.objects.get(pk=cooling.pk).last_attempt_at + timedelta(minutes=5),
        zoneinfo.ZoneInfo("America/New_York"),
    )
    assert f"{until:%Y-%m-%d %H:%M} {until.tzname()}" in cooldown and "UTC" not in cooldown
    assert "The retry window closed (on" in by_order[closed.purchase_id]
    assert (
        "Card declined" in by_order[still.purchase_id]
        or "still in error" in by_order[still.purchase_id]
    )
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[ready.pk] == "COMPLETED"
    assert statuses[cooling.pk] == statuses[closed.pk] == statuses[still.pk] == "ERROR"
    assert Order.objects.get(pk=cooling.pk).retries == 0  # refused: no attempt was made


def test_the_summary_counts_an_order_refused_for_its_closed_window_apart(staff_client, mapping):
    declined = [_declined(mapping, total, age=timedelta(minutes=30)) for total in ("6.00", "7.00")]
    closed = _declined(mapping, "8.00", age=timedelta(hours=49))
    response = staff_client.post(
        reverse("payments:orders-retry"),
        {"order": [o.pk for o in (*declined, closed)]},
        follow=True,
    )
    said = _messages(response)
    assert said[0] == "2 retried: 0 paid, 2 still in error; 1 refused: the retry window closed."
    assert Order.objects.get(pk=closed.pk).retries == 0
    assert [Order.objects.get(pk=o.pk).retries for o in declined] == [1, 1]


def test_bulk_retry_needs_ticks_and_the_permission(
    staff_client, client, mapping, django_user_model
):
    from django.contrib.auth.models import Permission

    response = staff_client.post(reverse("payments:orders-retry"), {}, follow=True)
    assert "Tick the orders to retry first." in _messages(response)
    evil = staff_client.post(
        reverse("payments:orders-retry"), {"order": ["x"], "next": "https://evil.example/"}
    )
    assert evil["Location"] == GRID
    viewer = django_user_model.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    assert client.post(reverse("payments:orders-retry"), {"order": ["1"]}).status_code == 403
    assert 'id="bulk-retry"' not in client.get(GRID).content.decode()


def test_the_grid_offers_ticks_only_for_orders_in_error(staff_client, mapping):
    good = OrderFactory(mapping=mapping, total="5.00")
    payment_take(order_id=good.pk)
    bad = _declined(mapping, "6.00", age=timedelta(minutes=30))
    page = staff_client.get(GRID).content.decode()
    assert f'name="order" value="{bad.pk}"' in page
    assert f'name="order" value="{good.pk}"' not in page
