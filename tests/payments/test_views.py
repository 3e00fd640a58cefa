"""The order grid and the order page, as staff use them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from payments.services import payment_take

from .conftest import make_order, trip_id

GRID = "/financial/orders/"


@pytest.fixture
def orders(mapping):
    good = make_order(mapping, total="5.00")
    payment_take(order_id=good.pk)
    bad = make_order(mapping, total="6.00", trip=trip_id("decline"), age=timedelta(minutes=20))
    payment_take(order_id=bad.pk)
    Order.objects.filter(pk=bad.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=6))
    return good, bad


def test_the_grid_filters_jwo_errors_and_shows_why(staff_client, orders):
    good, bad = orders
    page = staff_client.get(GRID, {"source": "JWO", "has_error": "true"}).content.decode()
    assert bad.purchase_id in page and good.purchase_id not in page
    assert "Card declined" in page
    assert "Retry By Date" in page


def test_search_by_purchase_id_trip_id_and_shopper(staff_client, orders):
    good, bad = orders
    for q in (bad.purchase_id.lower(), bad.trip.trip_id, "amzn-card-7"):
        page = staff_client.get(GRID, {"q": q}).content.decode()
        assert bad.purchase_id in page, q
    assert good.purchase_id not in staff_client.get(GRID, {"q": bad.trip.trip_id}).content.decode()


def test_the_grid_page_costs_a_fixed_number_of_queries(staff_client, mapping):
    for n in range(30):
        make_order(mapping, total=f"{n + 1}.00")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(GRID)
    for n in range(30):
        make_order(mapping, total=f"{n + 1}.00")
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(GRID).status_code == 200
    assert len(many) == len(few) <= 12


def test_retry_from_the_grid_runs_the_payment_and_reports(staff_client, orders):
    from sandbox.models import SandboxTrip

    _, bad = orders
    SandboxTrip.objects.filter(trip_id=bad.trip.trip_id).update(card_profile="OK")
    response = staff_client.post(
        reverse("payments:order-retry", args=[bad.pk]), {"next": GRID}, follow=True
    )
    assert "paid — captured 6.00 USD" in response.content.decode()
    bad.refresh_from_db()
    assert bad.status == "COMPLETED" and bad.retries == 1


def test_retry_within_the_cooldown_says_until_when(staff_client, orders):
    _, bad = orders
    Order.objects.filter(pk=bad.pk).update(last_attempt_at=timezone.now())
    page = staff_client.get(GRID, {"has_error": "true"}).content.decode()
    assert "less than 5 minutes ago — possible from" in page
    response = staff_client.post(reverse("payments:order-retry", args=[bad.pk]), follow=True)
    assert "less than 5 minutes ago" in response.content.decode()


def test_a_user_without_the_permission_cannot_retry(client, orders, django_user_model):
    from django.contrib.auth.models import Permission

    _, bad = orders
    viewer = django_user_model.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    assert "You may not retry payments" in client.get(GRID).content.decode()
    assert client.post(reverse("payments:order-retry", args=[bad.pk])).status_code == 403


def test_csv_export_follows_the_filters(staff_client, orders):
    good, bad = orders
    response = staff_client.get(reverse("payments:orders-export"), {"has_error": "true"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("Order number,Created (UTC),Store,Order Source")
    assert bad.purchase_id in body and good.purchase_id not in body


def test_the_order_page_shows_lines_attempts_receipt_and_timeline(staff_client, orders):
    good, _ = orders
    page = staff_client.get(reverse("payments:order", args=[good.pk])).content.decode()
    for text in ("Receipt data", "AdjustCharge", "CaptureCharge", "Payment attempt started"):
        assert text in page, text
    assert "refund-form" not in page  # staff do not refund


def test_merchant_admin_refunds_from_the_order_page(merchant_client, orders):
    good, _ = orders
    url = reverse("payments:order-refund", args=[good.pk])
    page = merchant_client.post(
        url, {"amount": "1.25", "reason_code": "EXPIRED_ITEM"}, follow=True
    ).content.decode()
    assert "Refunded 1.25 USD" in page
    good.refresh_from_db()
    assert good.refunded_amount == Decimal("1.25")
    too_much = merchant_client.post(url, {"amount": "9", "reason_code": "OTHER"}, follow=True)
    assert "At most 3.75 USD" in too_much.content.decode()


def test_a_huge_result_is_counted_only_up_to_the_cap(staff_client, mapping, monkeypatch):
    from jwo_console.paginator import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 100)
    for n in range(3):
        make_order(mapping, total=f"{n + 1}.00")
    assert "3 orders." in staff_client.get(GRID).content.decode()
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    page = staff_client.get(GRID).content.decode()
    assert "More than 2 orders (filter to narrow them)" in page


def test_a_search_alone_is_counted_on_its_trips_and_with_filters_on_the_orders(
    staff_client, mapping
):
    from shoppers.models import Shopper

    pat = Shopper.objects.create(email="pat.search@example.com", name="Pat Search")
    mine = [make_order(mapping, total=f"{n + 1}.00", shopper=pat) for n in range(3)]
    make_order(mapping, total="9.00")  # a card trip: not Pat's
    Order.objects.filter(pk=mine[0].pk).update(status="ERROR", error_message="Card declined")
    page = staff_client.get(GRID, {"q": "pat.sea"})
    assert page.context["filter"].count_by_trips() is not None  # the trips' indexes count it
    assert page.context["page"].paginator.count == 3
    assert "3 orders" in page.content.decode()
    filtered = staff_client.get(GRID, {"q": "Pat Se", "has_error": "true"})
    assert filtered.context["filter"].count_by_trips() is None  # another filter: the orders
    assert [o.pk for o in filtered.context["page"].object_list] == [mine[0].pk]
    assert "1 order." in filtered.content.decode()
