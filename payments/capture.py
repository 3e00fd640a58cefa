"""Running an attempt (engine.py step 2, no transaction open): AdjustCharge then CaptureCharge
on the Payment Service, CheckoutCart on the Checkout Service, a released pre-auth for trips not
charged; Amazon's errors classified."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.amazon import checkout as checkout_api
from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from integrations.amazon.money import PaymentMoney
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from orders.selectors import order_get
from orders.services import order_event, order_next_action, order_transition
from stores.choices import PaymentMode, TripPolicy

from .attempts import (
    ZERO,
    _lease,
    close,
    mark,
    record_call,
    recorded_if_refused,
    trip_ref,
    wire_money,
)
from .choices import (
    AdjustStatus,
    AttemptStatus,
    AttemptStep,
)
from .finish import _finish_pending, _suspend, finish_failed, finish_paid, outcome_unknown
from .models import PaymentAttempt


def _attempt_run(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    order = order_get(attempt.order_id, "trip", "store")
    try:
        if order.trip.trip_policy != TripPolicy.CHARGE:
            return _run_not_charged(attempt=attempt, order=order, now=now)
        if attempt.service == PaymentMode.CHECKOUT_SERVICE:
            return _run_checkout(attempt=attempt, order=order, now=now)
        return _run_payment_service(attempt=attempt, order=order, now=now)
    except AmazonError as exc:
        return handle_amazon_error(attempt=attempt, exc=exc, now=now)


def handle_amazon_error(*, attempt: PaymentAttempt, exc: AmazonError, now: datetime):
    """Classify what Amazon answered: transient (resume later, or read first after a capture)
    or a refusal (the schedule ends; staff Retry once the cause is fixed)."""
    if isinstance(exc, AmazonTransientError):
        if attempt.step == AttemptStep.CAPTURE_SENT:
            return outcome_unknown(attempt=attempt, evidence=str(exc), now=now)
        return _suspend(attempt=attempt, exc=exc, now=now)
    message = exc.error_msg or str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and body.get("message"):
        message = f"{message}: {body['message']}"
    return finish_failed(
        attempt=attempt,
        status=AttemptStatus.REJECTED,
        message=f"Amazon refused {exc.operation or 'the call'}: {message}",
        now=now,
    )


def _run_payment_service(*, attempt: PaymentAttempt, order: Order, now: datetime):
    client = payments_api.client()
    trip = trip_ref(order)
    wire_trip = trip.to_wire()
    if order.total <= 0:
        # Empty or zero-total cart: release the pre-auth; nothing to capture.
        mark(attempt, step=AttemptStep.CANCEL_SENT)
        with recorded_if_refused(attempt, "CancelCharge", wire_trip):
            client.cancel_charge(trip)
        record_call(attempt, "CancelCharge", wire_trip, None)
        return finish_paid(attempt=attempt, captured=ZERO, now=now)

    if attempt.capture_amount is None:
        mark(attempt, step=AttemptStep.ADJUST_SENT)
        amount = PaymentMoney(attempt.requested_amount, attempt.currency)
        request = {**wire_trip, "amount": wire_money(amount.amount, amount.code)}
        with recorded_if_refused(attempt, "AdjustCharge", request):
            result = client.adjust_charge(trip, amount)
        authorized = result.authorized_amount.amount if result.authorized_amount else None
        answer: dict[str, Any] = {}  # what the answer means, written with the call's record
        if result.status in (AdjustStatus.DECLINED, AdjustStatus.PENDING):
            answer = {"adjust_status": result.status, "authorized_amount": authorized}
        elif result.status == AdjustStatus.APPROVED:
            # An approval for less than asked (not documented) is captured as far as it goes.
            answer = {
                "step": AttemptStep.ADJUSTED,
                "adjust_status": result.status,
                "authorized_amount": authorized,
                "capture_amount": attempt.requested_amount
                if authorized is None
                else min(attempt.requested_amount, authorized),
            }
        record_call(
            attempt,
            "AdjustCharge",
            request,
            {
                "status": result.status,
                "authorizedAmount": None
                if authorized is None
                else wire_money(authorized, attempt.currency),
            },
            **answer,
        )
        if result.status == AdjustStatus.DECLINED:
            return finish_failed(
                attempt=attempt,
                status=AttemptStatus.DECLINED,
                message=(
                    f"Card declined: AdjustCharge for {attempt.requested_amount} "
                    f"{attempt.currency} was DECLINED"
                ),
                now=now,
            )
        if result.status == AdjustStatus.PENDING:
            return _finish_pending(attempt=attempt, now=now)
        if result.status != AdjustStatus.APPROVED:
            return finish_failed(
                attempt=attempt,
                status=AttemptStatus.REJECTED,
                message=f"AdjustCharge answered an unknown status {result.status!r}",
                now=now,
            )

    if attempt.capture_amount <= 0:
        return finish_failed(
            attempt=attempt,
            status=AttemptStatus.DECLINED,
            message="Nothing is authorized on this trip to capture",
            now=now,
        )
    return send_capture(attempt=attempt, order=order, now=now)


def _run_not_charged(*, attempt: PaymentAttempt, order: Order, now: datetime):
    """An associate's or a cash shopper's trip whose store says "don't charge" or "hand to a
    register" (the mapping's trip policy): the pre-auth is released (Payment Service) and the
    order completes with nothing captured and nothing owed; the policy is on its timeline."""
    policy = order.trip.trip_policy
    if attempt.service == PaymentMode.PAYMENT_SERVICE:
        mark(attempt, step=AttemptStep.CANCEL_SENT)
        with recorded_if_refused(attempt, "CancelCharge", trip_ref(order).to_wire()):
            payments_api.client().cancel_charge(trip_ref(order))
        record_call(attempt, "CancelCharge", trip_ref(order).to_wire(), None)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        close(attempt, status=AttemptStatus.SUCCEEDED, step=AttemptStep.DONE, error="")
        label = TripPolicy(policy).label.lower()
        order_transition(
            order=locked,
            to=OrderStatus.COMPLETED,
            reason=f"not charged through Just Walk Out: {label}",
            fields={
                "captured_amount": ZERO,
                "completed_at": timezone.now(),
                "error_stage": "",
                "error_message": "",
                **order_next_action(locked, NextAction.NONE, None),
            },
        )
        order_event(order=locked, type="trip_not_charged", policy=policy, total=str(order.total))
    return attempt


def send_capture(*, attempt: PaymentAttempt, order: Order, now: datetime) -> PaymentAttempt:
    """CaptureCharge for the attempt's amount. Marked first, with the order's next action set to
    RESOLVE: whatever happens to the answer (or to this worker), the next step is a read."""
    lease = attempt.lease_until or _lease(now)
    mark(attempt, step=AttemptStep.CAPTURE_SENT, order_next=(NextAction.RESOLVE, lease))
    amount = PaymentMoney(attempt.capture_amount, attempt.currency)
    request = {**trip_ref(order).to_wire(), "amount": wire_money(amount.amount, amount.code)}
    try:
        payments_api.client().capture_charge(trip_ref(order), amount)
    except AmazonError as exc:  # the evidence a review needs: the capture went out, and then?
        record_call(attempt, "CaptureCharge", request, {"error": str(exc)})
        raise
    record_call(attempt, "CaptureCharge", request, None)
    return finish_paid(attempt=attempt, captured=attempt.capture_amount, now=now)


def checkout_request_for(order: Order) -> checkout_api.CheckoutCartRequest:
    """The priced order as the Checkout Service wants it: each line's shelf price, its
    promotions, its tax and its total, and the order's totals (``JWO_CHECKOUT_PRICE_PER``
    says whether ``price`` is the line's amount or one unit's)."""
    per_unit = settings.JWO_CHECKOUT_PRICE_PER == "unit"
    lines = [
        checkout_api.CheckoutLine(
            product_id=line.sku,
            quantity=line.quantity.normalize()
            if line.quantity % 1
            else line.quantity.quantize(Decimal("0.0")),
            unit=line.unit or "each",
            price=line.unit_price if per_unit else line.price,
            sales_tax=line.tax,
            total_price=line.total,
            promotions=tuple(
                checkout_api.Promotion(amount=Decimal(p["amount"]), description=p["name"][:100])
                for p in line.promotions
            ),
        )
        for line in order.lines.all()
    ]
    return checkout_api.CheckoutCartRequest(
        idempotent_shopping_trip_id=order.trip.trip_id,
        store_id=order.trip.jwo_store_id,
        currency=order.currency,
        lines=lines,
        totals=checkout_api.OrderTotals(
            price_total=order.total,
            sub_total=order.sub_total,
            promotions_total=order.promotions_total,
            sales_tax_total=order.tax_total,
        ),
    )


def _run_checkout(*, attempt: PaymentAttempt, order: Order, now: datetime):
    request = checkout_request_for(order)
    if not request.lines:
        # Never sent: the Checkout Service refuses an empty cart; Amazon releases the pre-auth.
        return finish_paid(attempt=attempt, captured=ZERO, now=now)
    problems = checkout_api.checkout_cart_problems(request)
    if problems:
        return finish_failed(
            attempt=attempt,
            status=AttemptStatus.REJECTED,
            message="The cart fails the Checkout Service's rules (not sent): "
            + "; ".join(problems),
            now=now,
        )
    # Idempotent by the trip id with the identical payload: resending after a lost answer is
    # safe (``retry_safe`` in integrations/amazon/checkout.py), so CHECKOUT_SENT resumes rather
    # than resolves.
    mark(attempt, step=AttemptStep.CHECKOUT_SENT)
    with recorded_if_refused(attempt, "CheckoutCart", request.to_wire()):
        result = checkout_api.client().checkout_cart(request)
    record_call(attempt, "CheckoutCart", request.to_wire(), {"orderId": result.order_id})
    mark(attempt, remote_order_id=result.order_id)
    return finish_paid(attempt=attempt, captured=order.total, now=now)
