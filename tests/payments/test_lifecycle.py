"""The payment lifecycle against the sandbox over real HTTP (signatures verified there)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order
from payments.models import PaymentAttempt
from payments.services import payment_collect, payment_take
from sandbox.models import SandboxCall, SandboxCheckoutOrder, SandboxFault
from shoppers.models import LedgerEntry, Shopper
from shoppers.services import shopper_outstanding_balance
from tests.factories import OrderFactory

from .conftest import sandbox_trip, trip_id


def captures(order) -> int:
    return SandboxCall.objects.filter(
        operation="CaptureCharge", body__contains=order.trip.trip_id, status=200
    ).count()


def test_approved_adjust_is_captured_and_the_receipt_data_completes_the_order(mapping):
    order = OrderFactory(mapping=mapping, total="15.99")
    attempt = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.captured_amount, order.error_message) == (
        "COMPLETED",
        Decimal("15.99"),
        "",
    )
    assert (attempt.status, attempt.step, attempt.trigger) == ("SUCCEEDED", "DONE", "INITIAL")
    assert [c["operation"] for c in attempt.calls] == ["AdjustCharge", "CaptureCharge"]
    assert attempt.calls[0]["request"]["amount"] == {"amount": "15.99", "code": "USD"}
    assert attempt.calls[0]["response"]["status"] == "APPROVED"
    trip = sandbox_trip(order)
    assert trip.captured_amount == Decimal("15.99")
    assert (order.receipt.brand, order.receipt.tail) == (trip.card_brand, trip.card_tail)
    assert order.receipt.card_statement_transaction_id.startswith("TXN")
    assert not LedgerEntry.objects.exists()  # paid in full: nothing owed, nothing booked
    # The first attempt runs once: a second take finds the order paid.
    assert payment_take(order_id=order.pk) is None
    assert captures(order) == 1


def test_a_decline_puts_the_order_in_error_books_the_debt_and_schedules_the_retry(mapping):
    shopper = Shopper.objects.create(email="dee@example.com", name="Dee")
    order = OrderFactory(
        mapping=mapping, total="30.00", trip__trip_id=trip_id("decline"), shopper=shopper
    )
    attempt = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert attempt.status == "DECLINED"
    assert (order.status, order.error_stage) == ("ERROR", "PAYMENT")
    assert order.error_message == "Card declined: AdjustCharge for 30.00 USD was DECLINED."
    assert order.next_action_at == order.created_at + timedelta(minutes=15)
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("30.00")
    assert captures(order) == 0


def test_a_card_entry_decline_is_owed_by_the_card(mapping):
    order = OrderFactory(mapping=mapping, total="12.00", trip__trip_id=trip_id("decline"))
    payment_take(order_id=order.pk)
    debt = LedgerEntry.objects.get()
    assert (debt.shopper, debt.card_token, debt.amount, debt.kind) == (
        None,
        "amzn-card-7",
        Decimal("12.00"),
        "DEBT",
    )


def test_pending_is_adjusted_again_later_for_the_same_amount(mapping):
    order = OrderFactory(mapping=mapping, total="9.50", trip__trip_id=trip_id("pending"))
    first = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert (first.status, order.status) == ("PENDING", "PRICED")
    assert order.next_action_at is not None
    later = order.next_action_at + timedelta(seconds=1)
    second = payment_collect(order_id=order.pk, trigger="AUTO", now=later)
    order.refresh_from_db()
    assert (second.attempt_no, second.retry_no, second.requested_amount) == (
        1,
        0,
        Decimal("9.50"),
    )
    assert (second.status, order.status) == ("SUCCEEDED", "COMPLETED")


def test_an_empty_cart_cancels_the_preauth_and_completes_at_zero(mapping):
    order = OrderFactory(mapping=mapping, total="0.00", lines=0)
    attempt = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.total, order.captured_amount) == (
        "COMPLETED",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert [c["operation"] for c in attempt.calls] == ["CancelCharge"]
    assert sandbox_trip(order).cancelled is True


def test_a_worker_killed_right_after_the_capture_is_resolved_by_reading_never_resent(
    mapping, monkeypatch
):
    """The process dies after Amazon took the capture and before we recorded it. The order's
    next action was set to RESOLVE before the call: the sweep finds it when the lease ends,
    reads Amazon's record, books the capture and sends nothing again."""
    from payments import capture, engine
    from payments.services import order_advance, orders_due_claim

    order = OrderFactory(mapping=mapping, total="11.00")
    real_finish = capture.finish_paid

    def crash(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(capture, "finish_paid", crash)
    with pytest.raises(SystemExit):
        payment_take(order_id=order.pk)
    attempt = PaymentAttempt.objects.get(order=order)
    order.refresh_from_db()
    assert (attempt.status, attempt.step) == ("STARTED", "CAPTURE_SENT")
    assert (order.status, order.next_action) == ("PRICED", "RESOLVE")
    assert order.next_action_at == attempt.lease_until
    assert sandbox_trip(order).captured_amount == Decimal("11.00")

    monkeypatch.setattr(capture, "finish_paid", real_finish)
    # While the lease holds, nobody else may touch the attempt, and the sweep does not see it.
    with pytest.raises(engine.PaymentInProgress):
        payment_collect(order_id=order.pk, trigger="AUTO")
    assert orders_due_claim() == []
    after_lease = attempt.lease_until + timedelta(seconds=1)
    [(claimed, claim)] = orders_due_claim(now=after_lease)
    assert order_advance(order_id=claimed, claim=claim, now=after_lease) == "RESOLVE"
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert attempt.status == "SUCCEEDED" and "record shows the capture" in attempt.resolution
    assert order.status == "COMPLETED" and order.captured_amount == Decimal("11.00")
    trip = sandbox_trip(order)
    assert (trip.captured_amount, trip.capture_replays) == (Decimal("11.00"), 0)
    assert captures(order) == 1
    assert PaymentAttempt.objects.filter(order=order).count() == 1


def test_amazon_not_answering_the_capture_suspends_the_attempt_and_the_retry_resumes_it(mapping):
    order = OrderFactory(mapping=mapping, total="7.25")
    SandboxFault.objects.create(
        service="payments", operation="CaptureCharge", kind="503", remaining=1
    )
    attempt = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert (attempt.status, attempt.step, attempt.lease_until) == ("STARTED", "CAPTURE_SENT", None)
    assert order.status == "ERROR" and "Amazon did not answer" in order.error_message
    resumed = payment_collect(order_id=order.pk, trigger="AUTO", now=order.next_action_at)
    order.refresh_from_db()
    assert (resumed.pk, resumed.status, order.status) == (attempt.pk, "SUCCEEDED", "COMPLETED")
    assert sandbox_trip(order).captured_amount == Decimal("7.25")
    # Capture is not repeated on a 5xx by the transport: one refused, one taken.
    assert captures(order) == 1


class TestCheckoutService:
    @pytest.fixture
    def checkout_mapping(self, mapping):
        mapping.payment_mode = "CHECKOUT_SERVICE"
        mapping.save()
        return mapping

    def test_the_priced_cart_is_checked_out_and_the_order_paid(self, checkout_mapping):
        order = OrderFactory(mapping=checkout_mapping, total="4.00", lines=2)
        attempt = payment_take(order_id=order.pk)
        order.refresh_from_db()
        placed = SandboxCheckoutOrder.objects.get(trip_id=order.trip.trip_id)
        assert (order.status, order.checkout_order_id) == ("COMPLETED", placed.order_id)
        assert order.captured_amount == Decimal("4.00")
        sent = attempt.calls[0]["request"]
        assert sent["orderTotals"]["priceTotal"] == {"amount": "4.00", "currencyCode": "USD"}
        assert [line["quantity"] for line in sent["lineItems"]] == [
            {"value": "1.0", "unit": "each"}
        ] * 2

    def test_a_cart_failing_amazons_rules_is_not_sent_and_says_why(self, checkout_mapping):
        order = OrderFactory(mapping=checkout_mapping, total="4.00", lines=2)
        order.lines.filter(line_no=2).update(total=Decimal("2.01"))
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert (order.status, order.error_stage) == ("ERROR", "CHECKOUT")
        assert "line 2 (WATER): totalPrice 2.01 != price 2.00" in order.error_message
        assert not SandboxCall.objects.filter(operation="CheckoutCart").exists()

    def test_amazons_rejection_is_the_orders_error(self, checkout_mapping):
        order = OrderFactory(
            mapping=checkout_mapping, total="4.00", trip__trip_id="invalid-shopping-trip-uuid"
        )
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert order.status == "ERROR"
        assert "UnknownShoppingTripException" in order.error_message

    def test_an_empty_cart_is_never_sent(self, checkout_mapping):
        order = OrderFactory(mapping=checkout_mapping, total="0.00", lines=0)
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert order.status == "COMPLETED"
        assert not SandboxCall.objects.filter(operation="CheckoutCart").exists()


def test_priced_orders_from_the_connector_are_paid(mapping, settings, client):
    """The chain: CreatePurchases → the order's advance task: priced, then paid."""
    from catalog.services import store_item_set
    from tests.factories import ItemFactory

    settings.JWO_PAYMENT_ON_PRICED = True
    item = ItemFactory(merchant=mapping.store.merchant, sku="WATER")
    store_item_set(item=item, store=mapping.store, price=Decimal("2.50"), is_active=True)
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    trip = trip_id("ok")
    body = {
        "requestId": "8a7e9c3e-4c0a-4f7b-9d84-2f0b5a6c1e11",
        "idempotentShoppingTripId": trip,
        "storeId": mapping.jwo_store_id,
        "shoppingTrip": {
            "startTime": now,
            "endTime": now,
            "authEvents": [{"id": "e1", "timestamp": now, "payloadType": "FINANCIAL"}],
        },
        "cartItems": [{"id": "WATER", "type": "SKU", "quantity": {"value": "2", "unit": "each"}}],
        "shopperIdentity": {"id": "amzn-card-9"},
    }
    response = client.post(
        "/v1/order/purchases",
        body,
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET="test-connector-secret",
    )
    assert response.status_code == 201
    order = Order.objects.get(trip__trip_id=trip)
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("5.00"))
