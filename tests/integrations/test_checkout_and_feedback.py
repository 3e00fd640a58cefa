from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.amazon.checkout import (
    CheckoutCartRequest,
    CheckoutLine,
    OrderTotals,
    Promotion,
)
from integrations.amazon.errors import AmazonRejectedError
from integrations.amazon.feedback import ReportPaymentStatusRequest
from integrations.amazon.money import PaymentMoney
from sandbox.models import SandboxCall, SandboxCheckoutOrder, SandboxPaymentReport, SandboxTrip

D = Decimal


def cart(trip_id="test-ok-co1", **changes) -> CheckoutCartRequest:
    lines = [
        CheckoutLine(
            product_id="835143001047",
            quantity=D("1.0"),
            unit="each",
            price=D("1.00"),
            sales_tax=D("0.00"),
            total_price=D("0.99"),
            promotions=[Promotion(D("0.01"), "Discount")],
        ),
        CheckoutLine(
            product_id="SKU-2",
            quantity=D("2.0"),
            unit="each",
            price=D("7.00"),
            sales_tax=D("0.42"),
            total_price=D("7.42"),
        ),
    ]
    fields = {
        "idempotent_shopping_trip_id": trip_id,
        "store_id": "jwo-store-1",
        "currency": "USD",
        "lines": lines,
        "totals": OrderTotals(
            price_total=D("8.41"),
            sub_total=D("8.00"),
            promotions_total=D("0.01"),
            sales_tax_total=D("0.42"),
        ),
    }
    fields.update(changes)
    return CheckoutCartRequest(**fields)


def test_a_correct_cart_gets_an_order_id_and_a_replay_the_same_one(clients):
    first = clients.checkout.checkout_cart(cart())
    again = clients.checkout.checkout_cart(cart())
    assert first.order_id.startswith("AMZ-") and again.order_id == first.order_id
    assert SandboxCheckoutOrder.objects.count() == 1
    body = SandboxCheckoutOrder.objects.get().payload
    assert body["lineItems"][0]["unitPrice"]["promotions"][0]["promotionAmount"] == {
        "amount": "0.01",
        "currencyCode": "USD",
    }
    assert body["orderTotals"]["priceTotal"] == {"amount": "8.41", "currencyCode": "USD"}


def test_the_same_trip_with_a_different_cart_is_refused(clients):
    clients.checkout.checkout_cart(cart())
    changed = cart(totals=OrderTotals(D("8.42"), D("8.00"), D("0.00"), D("0.42")))
    with pytest.raises(AmazonRejectedError):
        clients.checkout.checkout_cart(changed)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (
            lambda w: w["lineItems"][1]["unitPrice"]["totalPrice"].update(amount="7.43"),
            "CartOrderTotalInvalid",
        ),
        (lambda w: w["orderTotals"]["subTotal"].update(amount="8.01"), "CartOrderTotalInvalid"),
        (lambda w: w["orderTotals"]["priceTotal"].update(amount="8.40"), "CartOrderTotalInvalid"),
        (
            lambda w: w["orderTotals"]["salesTaxTotal"].update(amount="0.41"),
            "CartOrderTotalInvalid",
        ),
        (lambda w: w["lineItems"][0]["unitPrice"]["price"].update(amount="1.0"), "InvalidRequest"),
        (lambda w: w["lineItems"][0]["unitPrice"]["price"].update(amount=1.00), "InvalidRequest"),
        (
            lambda w: w["lineItems"][0]["unitPrice"]["price"].update(amount="1.001"),
            "InvalidRequest",
        ),
        (lambda w: w["lineItems"][0].pop("quantity"), "InvalidRequest"),
        (lambda w: w.pop("orderTotals"), "InvalidRequest"),
        (lambda w: w.update(lineItems=[]), "CartContentValidationFailed"),
        (
            lambda w: w.update(idempotentShoppingTripId="invalid-shopping-trip-uuid"),
            "UnknownShoppingTripException",
        ),
    ],
)
def test_checkout_validation(clients, mutate, error):
    wire = cart().to_wire()
    mutate(wire)
    with pytest.raises(AmazonRejectedError) as exc:
        clients.raw("checkout").post(
            operation="CheckoutCart", path="/v1/checkout/carts", payload=wire, retry_safe=True
        )
    assert (exc.value.http_status, exc.value.error_msg) == (400, error)
    assert not SandboxCheckoutOrder.objects.exists()


def test_lines_must_match_the_cart_amazon_sent(clients):
    SandboxTrip.objects.create(
        store_id="jwo-store-1", trip_id="trip-with-cart", cart=[{"id": "SKU-2", "quantity": "2.0"}]
    )
    with pytest.raises(AmazonRejectedError) as exc:
        clients.checkout.checkout_cart(cart(trip_id="trip-with-cart"))
    assert exc.value.error_msg == "CartContentValidationFailed"


def test_an_empty_cart_is_never_sent(clients):
    with pytest.raises(ValueError, match="never sent"):
        clients.checkout.checkout_cart(cart(lines=[]))
    assert not SandboxCall.objects.exists()


def test_report_payment_status_in_epoch_milliseconds(clients):
    SandboxTrip.objects.create(store_id="jwo-store-1", trip_id="owed-trip")
    when = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    clients.feedback.report_payment_status(
        ReportPaymentStatusRequest(
            store_id="jwo-store-1",
            shopping_trip_id="owed-trip",
            total_amount=PaymentMoney(D("12.49"), "USD"),
            settled_amount=PaymentMoney(D("10.00"), "USD"),
            payment_status_time=when,
        )
    )
    report = SandboxPaymentReport.objects.get()
    assert report.payment_status_time == 1795435200000
    assert SandboxTrip.objects.get(trip_id="owed-trip").outstanding_amount == D("2.49")
    # Paying off: a full settlement clears the shopper's debt at Amazon.
    clients.feedback.report_payment_status(
        ReportPaymentStatusRequest(
            store_id="jwo-store-1",
            shopping_trip_id="owed-trip",
            total_amount=PaymentMoney(D("12.49"), "USD"),
            settled_amount=PaymentMoney(D("12.49"), "USD"),
            payment_status_time=when,
        )
    )
    assert SandboxTrip.objects.get(trip_id="owed-trip").outstanding_amount == D("0")


def test_report_for_an_unknown_trip_is_refused(clients):
    with pytest.raises(AmazonRejectedError) as exc:
        clients.feedback.report_payment_status(
            ReportPaymentStatusRequest(
                store_id="jwo-store-1",
                shopping_trip_id="never-seen",
                total_amount=PaymentMoney(D("1.00"), "USD"),
                settled_amount=PaymentMoney(D("0.00"), "USD"),
                payment_status_time=datetime.now(UTC),
            )
        )
    assert exc.value.error_msg == "UnknownShoppingTrip"
