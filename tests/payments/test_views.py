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
from tests.factories import OrderFactory

from .conftest import trip_id

GRID = "/financial/orders/"


@pytest.fixture
def orders(mapping):
    good = OrderFactory(mapping=mapping, total="5.00")
    payment_take(order_id=good.pk)
    bad = OrderFactory(
        mapping=mapping, total="6.00", trip__trip_id=trip_id("decline"), age=timedelta(minutes=20)
    )
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
        OrderFactory(mapping=mapping, total=f"{n + 1}.00")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(GRID)
    for n in range(30):
        OrderFactory(mapping=mapping, total=f"{n + 1}.00")
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


def test_the_order_page_counts_automatic_and_staff_payment_retries(staff_client, orders):
    from payments.services import payment_collect

    _, bad = orders
    page = staff_client.get(reverse("payments:order", args=[bad.pk])).content.decode()
    assert '<dd id="payment-retries">0 ' in page  # the first attempt is not a retry
    payment_collect(order_id=bad.pk, trigger="MANUAL")  # staff: declined again
    bad.refresh_from_db()
    payment_collect(order_id=bad.pk, trigger="AUTO", now=bad.next_action_at)  # the sweep's slot
    bad.refresh_from_db()
    assert bad.retries == bad.payment_attempts.count() - 1 == 2
    page = staff_client.get(reverse("payments:order", args=[bad.pk])).content.decode()
    assert '<dd id="payment-retries">2 ' in page
    assert "payment attempts after the first, automatic and staff" in page


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
        OrderFactory(mapping=mapping, total=f"{n + 1}.00")
    assert "3 orders." in staff_client.get(GRID).content.decode()
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    page = staff_client.get(GRID).content.decode()
    assert "More than 2 orders (filter to narrow them)" in page


def _in_review(mapping) -> Order:
    from sandbox.models import SandboxFault

    from .test_faults import sweep

    order = OrderFactory(mapping=mapping, total="7.00")
    SandboxFault.objects.create(
        service="payments", operation="CaptureCharge", kind="LOST", remaining=1
    )
    SandboxFault.objects.create(
        service="payments", operation="GetTransactionalData", kind="BLIND", remaining=1
    )
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    sweep(order.next_action_at)
    order.refresh_from_db()
    assert order.status == "REVIEW"
    return order


def test_an_order_in_review_shows_the_evidence_and_staff_decide_it(staff_client, mapping):
    order = _in_review(mapping)
    grid = staff_client.get(GRID, {"status": "REVIEW"}).content.decode()
    assert order.purchase_id in grid
    page = staff_client.get(reverse("payments:order", args=[order.pk])).content.decode()
    assert "Payment outcome unknown — needs review" in page
    assert "the shopper pays twice" in page  # the risk is named before Capture again
    assert "GetTransactionalData" in page  # the evidence: the calls, with their answers
    url = reverse("payments:order-review", args=[order.pk])
    refused = staff_client.post(url, {"decision": "capture_again"}, follow=True)
    assert "Confirm that you checked" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == "REVIEW"
    staff_client.post(url, {"decision": "captured", "note": "Merchant Portal"})
    order.refresh_from_db()
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("7.00"))


def test_a_user_without_the_retry_permission_gets_403_on_review(client, mapping):
    from tests.factories import UserFactory

    order = _in_review(mapping)
    client.force_login(UserFactory(username="no-perms"))
    url = reverse("payments:order-review", args=[order.pk])
    assert client.post(url, {"decision": "captured"}).status_code == 403


def test_a_short_collection_shows_its_tenders_and_the_collected_short_filter(staff_client, mapping):
    order = OrderFactory(mapping=mapping, total="50.00", trip__trip_id=trip_id("nsf2600"))
    Order.objects.filter(pk=order.pk).update(store_credit_amount=Decimal("25.00"))
    from payments.models import Tender

    Tender.objects.create(order=order, kind="CARD", amount=25, currency="USD", reference="c")
    Tender.objects.create(
        order=order, kind="STORE_CREDIT", amount=25, currency="USD", reference="s"
    )
    other = OrderFactory(mapping=mapping, total="5.00")
    grid = staff_client.get(GRID, {"collected_short": "true"}).content.decode()
    assert order.purchase_id in grid and other.purchase_id not in grid
    assert "Collected short" in grid
    page = staff_client.get(reverse("payments:order", args=[order.pk])).content.decode()
    assert "Store credit (owed): 25.00 USD" in page


def test_a_search_alone_is_counted_on_its_trips_and_with_filters_on_the_orders(
    staff_client, mapping
):
    from shoppers.models import Shopper

    pat = Shopper.objects.create(email="pat.search@example.com", name="Pat Search")
    mine = [OrderFactory(mapping=mapping, total=f"{n + 1}.00", shopper=pat) for n in range(3)]
    OrderFactory(mapping=mapping, total="9.00")  # a card trip: not Pat's
    Order.objects.filter(pk=mine[0].pk).update(status="ERROR", error_message="Card declined")
    page = staff_client.get(GRID, {"q": "pat.sea"})
    assert page.context["filter"].count_by_trips() is not None  # the trips' indexes count it
    assert page.context["page"].paginator.count == 3
    assert "3 orders" in page.content.decode()
    filtered = staff_client.get(GRID, {"q": "Pat Se", "has_error": "true"})
    assert filtered.context["filter"].count_by_trips() is None  # another filter: the orders
    assert [o.pk for o in filtered.context["page"].object_list] == [mine[0].pk]
    assert "1 order." in filtered.content.decode()


def test_the_csv_shows_the_tenders_of_a_short_collection(staff_client, mapping):
    order = OrderFactory(mapping=mapping, total="50.00")
    Order.objects.filter(pk=order.pk).update(
        status="COMPLETED", captured_amount=Decimal("25.00"), store_credit_amount=Decimal("25.00")
    )
    body = b"".join(staff_client.get("/financial/orders/export.csv").streaming_content).decode()
    header, row = body.splitlines()[:2]
    assert "Tenders" in header and "Store credit owed" in header
    assert "card 25.00; store credit 25.00" in row
