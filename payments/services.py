"""Getting paid: the payment lifecycle of a JWO order, retries, refunds (STYLE.md 1, 2, 3, 5, 9).

One service moves money for an order: ``payment_collect``. The first attempt after pricing, the
automatic retry sweep, the order grid's Retry button and the admin action all call it.

Exactly once, by construction:

1. *Open* (a short transaction, the order row locked): check the rules, plan the amounts, and
   commit a ``PaymentAttempt`` with a unique idempotency key. At most one attempt per order is
   unfinished (a partial unique constraint), and an unfinished attempt holds a lease while a
   worker runs it, so two staff pressing Retry, a double click or the sweep racing a click
   cannot start a second one.
2. *Run* (no transaction open): each remote call is preceded by a committed ``step`` marker
   (ADJUST_SENT, CAPTURE_SENT, ...), then the call, then its result in a second short write.
3. *Finish* (a short transaction, the order row locked): the order's status, the ledger, the
   next retry.

A crash or a timeout between a call and its record leaves the attempt unfinished at its step.
The next try *resumes that attempt* with the same amounts — an AdjustCharge repeated with the
same total, a CaptureCharge repeated with the same amount on the same trip — and never plans a
new capture beside it. (Amazon documents no read of a capture's state; the contract's
[derived] reading, payments §2.4, is that a capture is safe to repeat with the same amount,
and the sandbox answers such a repeat as a replay.)
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.amazon import checkout as checkout_api
from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from integrations.amazon.money import PaymentMoney
from jwo_console.exceptions import ApplicationError, ConflictError
from jwo_console.money import quantize
from orders.choices import ErrorStage, OrderStatus
from orders.models import Order
from orders.services import order_event, order_price, order_transition
from shoppers.choices import LedgerKind
from shoppers.services import ledger_book, ledger_has
from stock.services import stock_return_for_refund
from stores.choices import PaymentMode
from stores.models import JwoStoreMapping

from . import signals
from .choices import (
    AUTHORIZED_FROM_RETRY,
    PAYOFF_UNFINISHED,
    RETRY_PERCENT,
    AttemptStatus,
    AttemptStep,
    AttemptTrigger,
    RefundReason,
    RefundStatus,
)
from .models import PaymentAttempt, PaymentReceipt, Refund
from .reports import payment_status_report_queue

logger = logging.getLogger(__name__)
ZERO = Decimal("0")


class PaymentInProgress(ConflictError):
    """Another attempt for this order is running right now."""


class RetryNotAllowed(ApplicationError):
    """The order grid's rules refuse a staff retry (status, 48-hour window, 5-minute cooldown)."""


class RefundNotAllowed(ApplicationError):
    pass


def _notify(signal: Any, **ids: int) -> None:
    """Tell the layers above (the portal's e-mails) once the current transaction commits."""
    transaction.on_commit(lambda: signal.send(sender=None, **ids))


# --- rules the grid shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryState:
    """Whether staff may press Retry now, and if not why and until when."""

    allowed: bool
    reason: str = ""
    until: datetime | None = None


def order_retry_state(*, order: Order, now: datetime | None = None) -> RetryState:
    """The Retry button's rules, from the order row alone (the grid asks this of every row)."""
    now = now or timezone.now()
    if order.status != OrderStatus.ERROR:
        return RetryState(False, f"Only orders in error can be retried ({order.status}).")
    if now >= order.retry_by:
        return RetryState(False, "The retry window closed", until=order.retry_by)
    if order.last_attempt_at is not None:
        ready = order.last_attempt_at + timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES)
        if now < ready:
            return RetryState(False, "The last attempt was less than 5 minutes ago", until=ready)
    return RetryState(True)


def retry_plan(*, retry_no: int, total: Decimal, preauth: Decimal, currency: str) -> dict:
    """What retry ``retry_no`` asks for: a share of the total (100 % for the first attempt and
    retries 1-3, then 90 %, 70 %, 60 %), and from retry 7 on the gate's authorized amount: the
    total if it fits in the pre-auth, otherwise the pre-auth (a partial capture; the rest stays
    owed on the shopper's ledger)."""
    if retry_no >= AUTHORIZED_FROM_RETRY:
        return {
            "percent": None,
            "requested_amount": total,
            "capture_amount": min(total, quantize(preauth, currency)),
        }
    percent = RETRY_PERCENT[retry_no]
    return {
        "percent": percent,
        "requested_amount": quantize(total * percent / 100, currency),
        "capture_amount": None,  # decided by AdjustCharge's answer
    }


def next_retry_at(*, order: Order, retry_no: int, now: datetime) -> datetime | None:
    """When retry ``retry_no`` is due: its offset in the schedule from the order's creation, no
    sooner than the cooldown after now, and never past the retry window."""
    schedule = settings.JWO_RETRY_SCHEDULE_MINUTES
    if retry_no < 1 or retry_no > len(schedule):
        return None
    due = order.created_at + timedelta(minutes=schedule[retry_no - 1])
    due = max(due, now + timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES))
    return due if due < order.retry_by else None


# --- the one entry point ------------------------------------------------------------------------


def payment_collect(
    *,
    order_id: int,
    trigger: str,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> PaymentAttempt | None:
    """Take (or retry) the payment of an order. Returns the attempt that ran, or None when there
    was nothing to do (already paid, not due). Staff retries raise ``RetryNotAllowed`` or
    ``PaymentInProgress`` with a message to show; an order that failed for a missing item is
    re-priced first."""
    now = now or timezone.now()
    order = Order.objects.get(pk=order_id)
    if trigger == AttemptTrigger.MANUAL:
        state = order_retry_state(order=order, now=now)
        if not state.allowed:
            until = f" (until {state.until:%Y-%m-%d %H:%M} UTC)" if state.until else ""
            raise RetryNotAllowed(f"{state.reason}{until}.")
    if order.status == OrderStatus.ERROR and order.error_stage == ErrorStage.PRICING:
        if trigger == AttemptTrigger.AUTO and now >= order.retry_by:
            Order.objects.filter(pk=order.pk).update(next_retry_at=None)
            return None
        Order.objects.filter(pk=order.pk).update(last_attempt_at=now, next_retry_at=None)
        order = order_price(order_id=order.pk, actor=actor, notify=False)
        if order.status != OrderStatus.PRICED:
            _schedule_after_pricing_error(order=order, now=now)
            return None
    attempt = _attempt_open(order_id=order.pk, trigger=trigger, actor=actor, now=now)
    if attempt is None:
        return None
    return _attempt_run(attempt=attempt, now=now)


def payment_take(*, order_id: int) -> PaymentAttempt | None:
    """The first attempt, once the order is priced (the ``order_priced`` signal's task)."""
    try:
        return payment_collect(order_id=order_id, trigger=AttemptTrigger.INITIAL)
    except PaymentInProgress:
        return None


def _schedule_after_pricing_error(*, order: Order, now: datetime) -> None:
    """An order still missing an item is priced again by the sweep on the retry schedule."""
    done = order.events.filter(type="status_changed", parameters__to=OrderStatus.ERROR).count()
    Order.objects.filter(pk=order.pk).update(
        next_retry_at=next_retry_at(order=order, retry_no=max(done, 1), now=now)
    )


def _attempt_open(
    *, order_id: int, trigger: str, actor: AbstractBaseUser | None, now: datetime
) -> PaymentAttempt | None:
    lease = now + timedelta(seconds=settings.JWO_ATTEMPT_LEASE_SECONDS)
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().select_related("store").get(pk=order_id)
            unfinished = order.payment_attempts.filter(status=AttemptStatus.STARTED).first()
            if unfinished is not None:
                if unfinished.lease_until is not None and unfinished.lease_until > now:
                    raise PaymentInProgress(
                        "A payment attempt for this order is running now; "
                        "its result will show here in a moment."
                    )
                unfinished.lease_until = lease
                unfinished.save(update_fields=["lease_until", "updated_at"])
                _order_touch(order, now)
                order_event(
                    order=order,
                    type="payment_attempt_resumed",
                    actor=actor,
                    attempt_no=unfinished.attempt_no,
                    step=unfinished.step,
                    trigger=trigger,
                )
                return unfinished
            if not _due(order=order, trigger=trigger, now=now):
                return None
            if order.payoffs.filter(status__in=PAYOFF_UNFINISHED).exists():
                # The shopper is paying this trip in the portal: charging the card now could
                # take the money twice. The sweep looks again later.
                if trigger == AttemptTrigger.MANUAL:
                    raise PaymentInProgress(
                        "The shopper is paying this trip in the portal right now; "
                        "look again in a few minutes."
                    )
                later = now + timedelta(seconds=settings.JWO_TRANSIENT_RETRY_SECONDS)
                order.next_retry_at = later if later < order.retry_by else None
                order.save(update_fields=["next_retry_at", "updated_at"])
                return None
            last = order.payment_attempts.order_by("-attempt_no").first()
            attempt_no = 0 if last is None else last.attempt_no + 1
            if last is None:
                retry_no = 0
            elif last.status in (AttemptStatus.DECLINED, AttemptStatus.REJECTED):
                retry_no = last.retry_no + 1
            else:  # after PENDING: ask for the same amount again
                retry_no = last.retry_no
            mapping = JwoStoreMapping.objects.filter(store=order.store).first()
            service = mapping.payment_mode if mapping else PaymentMode.PAYMENT_SERVICE
            preauth = mapping.preauth_amount if mapping else Decimal("25.00")
            plan = (
                {"percent": Decimal("100"), "requested_amount": order.total, "capture_amount": None}
                if service == PaymentMode.CHECKOUT_SERVICE
                else retry_plan(
                    retry_no=retry_no, total=order.total, preauth=preauth, currency=order.currency
                )
            )
            attempt = PaymentAttempt.objects.create(
                order=order,
                attempt_no=attempt_no,
                retry_no=retry_no,
                idempotency_key=f"order:{order.pk}:attempt:{attempt_no}",
                trigger=trigger,
                initiated_by=actor,
                service=service,
                currency=order.currency,
                lease_until=lease,
                **plan,
            )
            order.retries = attempt_no
            _order_touch(order, now, extra=["retries"])
            order_event(
                order=order,
                type="payment_attempt_started",
                actor=actor,
                attempt_no=attempt_no,
                retry_no=retry_no,
                trigger=trigger,
                service=service,
                percent=None if plan["percent"] is None else str(plan["percent"]),
                requested=str(plan["requested_amount"]),
                capture=None if plan["capture_amount"] is None else str(plan["capture_amount"]),
            )
    except IntegrityError as exc:  # a concurrent opener won the unique constraint
        raise PaymentInProgress("A payment attempt for this order was just started.") from exc
    logger.info(
        "payment attempt %s opened (%s)",
        attempt.attempt_no,
        trigger,
        extra={"order_id": order_id, "attempt": attempt.idempotency_key},
    )
    return attempt


def _due(*, order: Order, trigger: str, now: datetime) -> bool:
    if order.status in (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PENDING):
        return False
    if trigger == AttemptTrigger.INITIAL:
        return order.status == OrderStatus.PRICED and not order.payment_attempts.exists()
    if now >= order.retry_by:
        if order.next_retry_at is not None:
            order.next_retry_at = None
            order.save(update_fields=["next_retry_at", "updated_at"])
        return False
    return order.status in (OrderStatus.ERROR, OrderStatus.PRICED)


def _order_touch(order: Order, now: datetime, extra: list[str] | None = None) -> None:
    order.last_attempt_at = now
    order.next_retry_at = None
    order.save(update_fields=["last_attempt_at", "next_retry_at", "updated_at", *(extra or [])])


# --- running an attempt (no transaction open) -----------------------------------------------------


def _mark(attempt: PaymentAttempt, **fields: Any) -> None:
    """Record progress in its own short write, committed before the next remote call."""
    for key, value in fields.items():
        setattr(attempt, key, value)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now(), **fields)


def _call(attempt: PaymentAttempt, operation: str, request: dict, response: Any) -> None:
    attempt.calls = [
        *attempt.calls,
        {
            "operation": operation,
            "request": request,
            "response": response,
            "at": timezone.now().isoformat(),
        },
    ]
    _mark(attempt, calls=attempt.calls)


def _wire_money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(quantize(amount, currency)), "code": currency}


def _attempt_run(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    order = Order.objects.select_related("trip", "store").get(pk=attempt.order_id)
    try:
        if attempt.service == PaymentMode.CHECKOUT_SERVICE:
            return _run_checkout(attempt=attempt, order=order, now=now)
        return _run_payment_service(attempt=attempt, order=order, now=now)
    except AmazonTransientError as exc:
        return _suspend(attempt=attempt, exc=exc, now=now)
    except AmazonError as exc:
        message = exc.error_msg or str(exc)
        body = getattr(exc, "body", None)
        if isinstance(body, dict) and body.get("message"):
            message = f"{message}: {body['message']}"
        return _finish_failed(
            attempt=attempt,
            status=AttemptStatus.REJECTED,
            message=f"Amazon refused {exc.operation or 'the call'}: {message}",
            now=now,
        )


def _run_payment_service(*, attempt: PaymentAttempt, order: Order, now: datetime):
    client = payments_api.client()
    trip = _trip_ref(order)
    wire_trip = trip.to_wire()
    if order.total <= 0:
        # Empty or zero-total cart: release the pre-auth; nothing to capture.
        _mark(attempt, step=AttemptStep.CANCEL_SENT)
        client.cancel_charge(trip)
        _call(attempt, "CancelCharge", wire_trip, None)
        return _finish_paid(attempt=attempt, captured=ZERO, now=now)

    if attempt.capture_amount is None:
        _mark(attempt, step=AttemptStep.ADJUST_SENT)
        amount = PaymentMoney(attempt.requested_amount, attempt.currency)
        result = client.adjust_charge(trip, amount)
        authorized = result.authorized_amount.amount if result.authorized_amount else None
        _call(
            attempt,
            "AdjustCharge",
            {**wire_trip, "amount": _wire_money(amount.amount, amount.code)},
            {
                "status": result.status,
                "authorizedAmount": None
                if authorized is None
                else _wire_money(authorized, attempt.currency),
            },
        )
        if result.status == "DECLINED":
            _mark(attempt, adjust_status=result.status, authorized_amount=authorized)
            return _finish_failed(
                attempt=attempt,
                status=AttemptStatus.DECLINED,
                message=(
                    f"Card declined: AdjustCharge for {attempt.requested_amount} "
                    f"{attempt.currency} was DECLINED"
                ),
                now=now,
            )
        if result.status == "PENDING":
            _mark(attempt, adjust_status=result.status, authorized_amount=authorized)
            return _finish_pending(attempt=attempt, now=now)
        if result.status != "APPROVED":
            return _finish_failed(
                attempt=attempt,
                status=AttemptStatus.REJECTED,
                message=f"AdjustCharge answered an unknown status {result.status!r}",
                now=now,
            )
        # An approval for less than asked (not documented) is captured as far as it goes.
        capture = (
            attempt.requested_amount
            if authorized is None
            else min(attempt.requested_amount, authorized)
        )
        _mark(
            attempt,
            step=AttemptStep.ADJUSTED,
            adjust_status=result.status,
            authorized_amount=authorized,
            capture_amount=capture,
        )

    if attempt.capture_amount <= 0:
        return _finish_failed(
            attempt=attempt,
            status=AttemptStatus.DECLINED,
            message="Nothing is authorized on this trip to capture",
            now=now,
        )
    _mark(attempt, step=AttemptStep.CAPTURE_SENT)
    amount = PaymentMoney(attempt.capture_amount, attempt.currency)
    client.capture_charge(trip, amount)
    _call(
        attempt,
        "CaptureCharge",
        {**wire_trip, "amount": _wire_money(amount.amount, amount.code)},
        None,
    )
    return _finish_paid(attempt=attempt, captured=attempt.capture_amount, now=now)


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
        return _finish_paid(attempt=attempt, captured=ZERO, now=now)
    problems = checkout_api.checkout_cart_problems(request)
    if problems:
        return _finish_failed(
            attempt=attempt,
            status=AttemptStatus.REJECTED,
            message="The cart fails the Checkout Service's rules (not sent): "
            + "; ".join(problems),
            now=now,
        )
    _mark(attempt, step=AttemptStep.CHECKOUT_SENT)
    result = checkout_api.client().checkout_cart(request)
    _call(attempt, "CheckoutCart", request.to_wire(), {"orderId": result.order_id})
    _mark(attempt, remote_order_id=result.order_id)
    return _finish_paid(attempt=attempt, captured=order.total, now=now)


# --- finishing an attempt -------------------------------------------------------------------------


def _close(attempt: PaymentAttempt, *, status: str, now: datetime, **fields: Any) -> None:
    attempt.status = status
    attempt.lease_until = None
    attempt.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(attempt, key, value)
    attempt.save()


def _trip_ref(order: Order) -> payments_api.TripRef:
    return payments_api.TripRef(
        store_id=order.trip.jwo_store_id, shopping_trip_id=order.trip.trip_id
    )


def _error_stage(attempt: PaymentAttempt) -> str:
    if attempt.service == PaymentMode.CHECKOUT_SERVICE:
        return ErrorStage.CHECKOUT
    return ErrorStage.PAYMENT


def _debt_reference(order: Order) -> str:
    return f"order:{order.pk}:debt"


def ledger_party(order: Order) -> dict[str, Any]:
    """Who owes: the app shopper, or for a card entry Amazon's id of the card's shopper (the id
    F&A asks about at the gate)."""
    trip = order.trip
    if trip.shopper_id:
        return {"shopper": trip.shopper, "card_token": "", "trip_id": trip.trip_id}
    card = trip.amazon_shopper_id or trip.payment_source_id
    return {"shopper": None, "card_token": card, "trip_id": trip.trip_id}


def _book_debt(order: Order) -> None:
    """The whole order is owed from its first decline (once: the reference is unique)."""
    ledger_book(
        reference=_debt_reference(order),
        kind=LedgerKind.DEBT,
        amount=order.total,
        currency=order.currency,
        note=f"Order {order.purchase_id}: payment declined",
        **ledger_party(order),
    )


def _finish_paid(*, attempt: PaymentAttempt, captured: Decimal, now: datetime) -> PaymentAttempt:
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("trip").get(pk=attempt.order_id)
        _close(
            attempt,
            status=AttemptStatus.SUCCEEDED,
            now=now,
            step=AttemptStep.DONE,
            captured_amount=captured,
            error="",
        )
        remainder = order.total - captured
        if remainder > 0 or ledger_has(reference=_debt_reference(order)):
            # Collected less than the total (a reduced retry or the pre-auth), or after a
            # decline: the debt stands for the total and the capture pays part or all of it.
            _book_debt(order)
            if captured > 0:
                ledger_book(
                    reference=f"{attempt.idempotency_key}:capture",
                    kind=LedgerKind.PAYMENT,
                    amount=-captured,
                    currency=order.currency,
                    note=f"Order {order.purchase_id}: captured on attempt {attempt.attempt_no}",
                    **ledger_party(order),
                )
        empty = order.total <= 0
        fields: dict[str, Any] = {
            "captured_amount": captured,
            "error_stage": "",
            "error_message": "",
            "next_retry_at": None,
            "checkout_order_id": attempt.remote_order_id,
        }
        if empty:
            fields["completed_at"] = timezone.now()
        reason = (
            "empty cart: pre-auth released"
            if empty
            else f"captured {captured} {order.currency}"
            + (f"; {remainder} {order.currency} stays owed" if remainder > 0 else "")
        )
        order_transition(
            order=order,
            to=OrderStatus.COMPLETED if empty else OrderStatus.PAID,
            actor=attempt.initiated_by,
            reason=reason,
            fields=fields,
        )
        if not empty:
            payment_status_report_queue(
                order=order, reference=f"{attempt.idempotency_key}:report", when=now
            )
        order_event(
            order=order,
            type="payment_succeeded",
            actor=attempt.initiated_by,
            attempt_no=attempt.attempt_no,
            captured=str(captured),
            remainder=str(max(remainder, ZERO)),
        )
    logger.info(
        "payment succeeded: %s %s",
        captured,
        order.currency,
        extra={"order_id": order.pk, "trip_id": order.trip.trip_id},
    )
    if not empty and attempt.service == PaymentMode.PAYMENT_SERVICE:
        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def _finish_failed(
    *, attempt: PaymentAttempt, status: str, message: str, now: datetime
) -> PaymentAttempt:
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("trip").get(pk=attempt.order_id)
        _close(attempt, status=status, now=now, error=message[:500])
        if status == AttemptStatus.DECLINED:
            _book_debt(order)
            payment_status_report_queue(
                order=order, reference=f"{attempt.idempotency_key}:report", when=now
            )
        due = next_retry_at(order=order, retry_no=attempt.retry_no + 1, now=now)
        suffix = "" if due else " No automatic retry is left; the balance waits for the shopper."
        order_transition(
            order=order,
            to=OrderStatus.ERROR,
            actor=attempt.initiated_by,
            reason=message[:300],
            fields={
                "error_stage": _error_stage(attempt),
                "error_message": (message + "." + suffix)[:500],
                "next_retry_at": due,
            },
        )
        order_event(
            order=order,
            type="payment_failed",
            actor=attempt.initiated_by,
            attempt_no=attempt.attempt_no,
            status=status,
            message=message[:300],
        )
    logger.warning(
        "payment %s: %s",
        status.lower(),
        message,
        extra={"order_id": order.pk, "trip_id": order.trip.trip_id},
    )
    if status == AttemptStatus.DECLINED and attempt.service == PaymentMode.PAYMENT_SERVICE:
        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def _finish_pending(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=attempt.order_id)
        _close(attempt, status=AttemptStatus.PENDING, now=now, error="AdjustCharge is PENDING")
        due = now + timedelta(seconds=settings.JWO_PENDING_RETRY_SECONDS)
        order.next_retry_at = due if due < order.retry_by else None
        order.save(update_fields=["next_retry_at", "updated_at"])
        order_event(
            order=order,
            type="payment_pending",
            attempt_no=attempt.attempt_no,
            next_retry_at=due.isoformat(),
        )
    return attempt


def _suspend(*, attempt: PaymentAttempt, exc: AmazonTransientError, now: datetime):
    """Amazon did not answer: the attempt stays open at its step (the next try resumes it with
    the same amounts) and the order shows the error until then."""
    wait = exc.retry_after or settings.JWO_TRANSIENT_RETRY_SECONDS
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=attempt.order_id)
        attempt.lease_until = None
        attempt.error = f"{exc}"[:500]
        attempt.save(update_fields=["lease_until", "error", "updated_at"])
        due = now + timedelta(seconds=wait)
        message = f"Amazon did not answer ({exc}); the attempt is resumed automatically."
        order_transition(
            order=order,
            to=OrderStatus.ERROR,
            actor=attempt.initiated_by,
            reason=message[:300],
            fields={
                "error_stage": _error_stage(attempt),
                "error_message": message[:500],
                "next_retry_at": due if due < order.retry_by else None,
            },
        )
    logger.warning("payment suspended: %s", exc, extra={"order_id": attempt.order_id})
    return attempt


# --- receipts -----------------------------------------------------------------------------------


def payment_receipt_fetch(*, order_id: int, now: datetime | None = None) -> PaymentReceipt | None:
    """After the capture: the card data (GetTransactionalData) and the shopper's e-mail
    (GetShopperIdentity) for the receipt, then COMPLETED. Amazon not answering leaves the order
    PAID and the sweep asks again.

    After a decline the same data is fetched once (the order stays in ERROR): the e-mail is how
    a card shopper signs in to the portal to pay, and the card's last four digits how they find
    the trip by card."""
    now = now or timezone.now()
    order = Order.objects.select_related("trip").get(pk=order_id)
    declined = order.status == OrderStatus.ERROR and not hasattr(order, "receipt")
    if (order.status != OrderStatus.PAID and not declined) or order.checkout_order_id:
        return getattr(order, "receipt", None)
    client = payments_api.client()
    try:
        data = client.get_transactional_data(_trip_ref(order))
        email = None
        if order.trip.amazon_shopper_id:
            email = client.get_shopper_identity(
                store_id=order.trip.jwo_store_id, shopper_id=order.trip.amazon_shopper_id
            ).shopper_email
    except AmazonTransientError as exc:
        if not declined:  # a declined order keeps its retry schedule; its next try fetches
            Order.objects.filter(pk=order.pk).update(
                next_retry_at=now + timedelta(seconds=settings.JWO_TRANSIENT_RETRY_SECONDS)
            )
        logger.warning("receipt data not fetched: %s", exc, extra={"order_id": order.pk})
        return None
    except AmazonError as exc:
        order_event(order=order, type="receipt_data_unavailable", error=str(exc)[:300])
        data, email = payments_api.TransactionalData(), None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        receipt, _ = PaymentReceipt.objects.update_or_create(
            order=order,
            defaults={
                "brand": data.brand or "",
                "tail": (data.tail or "")[:4],
                "pos_entry_mode": data.pos_entry_mode or "",
                "authorization_response_code": data.authorization_response_code or "",
                "application_id": data.application_id or "",
                "terminal_id": data.terminal_id or "",
                "reconciliation_id": data.reconciliation_id or "",
                # upper-case: shoppers type it from a statement, the portal matches it exactly
                "card_statement_transaction_id": (data.card_statement_transaction_id or "")
                .strip()
                .upper(),
                "shopper_email": (email or "").strip().lower(),  # the portal matches on it
                "data": {k: v for k, v in data.__dict__.items() if v is not None},
            },
        )
        if order.status == OrderStatus.PAID:
            order_transition(
                order=order,
                to=OrderStatus.COMPLETED,
                reason="receipt data stored",
                fields={"completed_at": timezone.now(), "next_retry_at": None},
            )
            _notify(signals.receipt_stored, order_id=order.pk)
        elif declined:
            _notify(signals.payment_declined, order_id=order.pk)
    return receipt


# --- the automatic retry sweep --------------------------------------------------------------------


def payment_retry_due_claim(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim the orders whose retry is due (rows locked and skipped by a concurrent sweep, their
    ``next_retry_at`` cleared in the same transaction) and return their ids."""
    from .selectors import orders_due_for_retry

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            orders_due_for_retry(now=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Order.objects.filter(pk__in=ids).update(next_retry_at=None)
    return ids


def payment_retry_due(*, order_id: int, now: datetime | None = None) -> PaymentAttempt | None:
    """One order the sweep claimed: a PAID order lacking its receipt data asks for it again;
    everything else goes through ``payment_collect`` as an automatic retry."""
    order = Order.objects.get(pk=order_id)
    if order.status == OrderStatus.PAID:
        payment_receipt_fetch(order_id=order_id, now=now)
        return None
    try:
        return payment_collect(order_id=order_id, trigger=AttemptTrigger.AUTO, now=now)
    except PaymentInProgress:
        return None


# --- refunds --------------------------------------------------------------------------------------


def refundable_amount(*, order: Order) -> Decimal:
    """Captured minus refunded minus refunds on their way."""
    open_statuses = [RefundStatus.REQUESTED, RefundStatus.APPROVED]
    in_flight = sum((r.amount for r in order.refunds.filter(status__in=open_statuses)), ZERO)
    return order.captured_amount - order.refunded_amount - in_flight


def refunds_possible(*, order: Order, now: datetime | None = None) -> bool:
    """Whether a refund can be asked for at all: captured through the Payment Service (the
    Checkout Service's refunds are Amazon's), within the window, something left to refund."""
    now = now or timezone.now()
    mapping = JwoStoreMapping.objects.filter(store_id=order.store_id).first()
    if mapping is not None and mapping.payment_mode == PaymentMode.CHECKOUT_SERVICE:
        return False
    return now <= refund_deadline(order=order) and refundable_amount(order=order) > 0


def refund_deadline(*, order: Order) -> datetime:
    return order.trip.ended_at + timedelta(days=settings.JWO_REFUND_WINDOW_DAYS)


def refund_request(
    *,
    order: Order,
    amount: Decimal,
    reason_code: str,
    actor: AbstractBaseUser | None = None,
    by_shopper: bool = False,
    note: str = "",
    lines: list[dict] | None = None,
    now: datetime | None = None,
) -> Refund:
    """Record a refund request (REQUESTED), within the refund window and never above what was
    captured minus what is refunded or on its way. The Refund's UUID is fixed here."""
    now = now or timezone.now()
    amount = quantize(Decimal(amount), order.currency)
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("trip", "store").get(pk=order.pk)
        mapping = JwoStoreMapping.objects.filter(store=locked.store).first()
        if mapping is not None and mapping.payment_mode == PaymentMode.CHECKOUT_SERVICE:
            raise RefundNotAllowed(
                "This store uses the Checkout Service: Amazon handles its refunds."
            )
        if amount <= 0:
            raise RefundNotAllowed("A refund must be more than zero.")
        if now > refund_deadline(order=locked):
            raise RefundNotAllowed(
                f"The refund window of {settings.JWO_REFUND_WINDOW_DAYS} days closed on "
                f"{refund_deadline(order=locked):%Y-%m-%d}."
            )
        available = refundable_amount(order=locked)
        if amount > available:
            raise RefundNotAllowed(
                f"At most {max(available, ZERO)} {locked.currency} can be refunded "
                f"(captured {locked.captured_amount}, refunded or requested the rest)."
            )
        refund = Refund.objects.create(
            order=locked,
            refund_request_id=str(uuid.uuid4()),
            amount=amount,
            currency=locked.currency,
            reason_code=reason_code,
            note=note[:500],
            lines=lines or [],
            requested_by=actor,
            requested_by_shopper=by_shopper,
        )
        order_event(
            order=locked,
            type="refund_requested",
            actor=actor,
            refund_id=refund.pk,
            amount=str(amount),
            reason=reason_code,
            by_shopper=by_shopper,
        )
        if by_shopper:
            _notify(signals.refund_changed, refund_id=refund.pk)
    return refund


def refunded_line_numbers(*, order: Order) -> set[int]:
    """Lines already refunded or asked for (a rejected request frees its lines again)."""
    taken: set[int] = set()
    for lines in order.refunds.exclude(status=RefundStatus.REJECTED).values_list(
        "lines", flat=True
    ):
        taken.update(int(line["line_no"]) for line in lines or [] if "line_no" in line)
    return taken


def refund_request_by_shopper(
    *,
    order: Order,
    reason_code: str,
    line_numbers: list[int] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Refund:
    """A shopper's request from the portal: for the whole trip (what is still refundable) or for
    chosen lines (their totals, tax and discounts included; a line is refunded once). Approved
    and sent at once when it is no more than the store's ``refund_auto_approve_limit``;
    otherwise it waits for staff in the console."""
    if reason_code not in RefundReason.values:
        raise RefundNotAllowed("Choose a reason for the refund.")
    lines: list[dict] = []
    if line_numbers:
        chosen = list(order.lines.filter(line_no__in=line_numbers))
        if len(chosen) != len(set(line_numbers)):
            raise RefundNotAllowed("Choose items from this receipt.")
        taken = refunded_line_numbers(order=order) & {line.line_no for line in chosen}
        if taken:
            raise RefundNotAllowed(
                "A refund was already asked for "
                + ", ".join(line.name or line.sku for line in chosen if line.line_no in taken)
                + "."
            )
        lines = [
            {"line_no": line.line_no, "sku": line.sku, "name": line.name, "amount": str(line.total)}
            for line in chosen
        ]
        amount = sum((line.total for line in chosen), ZERO)
    else:
        amount = refundable_amount(order=order)
    refund = refund_request(
        order=order,
        amount=amount,
        reason_code=reason_code,
        by_shopper=True,
        note=note,
        lines=lines,
        now=now,
    )
    mapping = JwoStoreMapping.objects.filter(store_id=order.store_id).first()
    limit = mapping.refund_auto_approve_limit if mapping else ZERO
    if limit > 0 and refund.amount <= limit:
        refund = refund_auto_approve(refund=refund)
    return refund


def refund_auto_approve(*, refund: Refund) -> Refund:
    """Approved by the store's rule (no person), sent to Amazon by a task after commit."""
    from .tasks import refund_send_task

    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.REQUESTED:
            return locked
        locked.status = RefundStatus.APPROVED
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        order_event(
            order=locked.order,
            type="refund_auto_approved",
            refund_id=locked.pk,
            amount=str(locked.amount),
        )
        transaction.on_commit(lambda: refund_send_task.delay(locked.pk))
    return locked


def refund_approve(*, refund: Refund, actor: AbstractBaseUser | None) -> Refund:
    """Approve and send the refund to Amazon (after the approval commits). A refund Amazon did
    not answer stays APPROVED and is resent with the same ``refundRequestId``."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundStatus.REQUESTED:
            locked.status = RefundStatus.APPROVED
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
            order_event(
                order=locked.order, type="refund_approved", actor=actor, refund_id=locked.pk
            )
        elif locked.status != RefundStatus.APPROVED:
            raise RefundNotAllowed(f"This refund is already {locked.get_status_display().lower()}.")
    return refund_send(refund_id=locked.pk)


def refund_reject(*, refund: Refund, actor: AbstractBaseUser | None, reason: str) -> Refund:
    if not reason.strip():
        raise RefundNotAllowed("Say why the refund is rejected; the shopper is told.")
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.REQUESTED:
            raise RefundNotAllowed(f"This refund is already {locked.get_status_display().lower()}.")
        locked.status = RefundStatus.REJECTED
        locked.rejection_reason = reason[:300]
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        order_event(
            order=locked.order,
            type="refund_rejected",
            actor=actor,
            refund_id=locked.pk,
            reason=reason,
        )
        _notify(signals.refund_changed, refund_id=locked.pk)
    return locked


def refund_send(*, refund_id: int) -> Refund:
    refund = Refund.objects.select_related("order__trip").get(pk=refund_id)
    if refund.status != RefundStatus.APPROVED:
        return refund
    try:
        result = payments_api.client().refund(
            _trip_ref(refund.order),
            PaymentMoney(refund.amount, refund.currency),
            refund_request_id=refund.refund_request_id,
            reason_code=refund.reason_code,
        )
    except AmazonTransientError as exc:
        Refund.objects.filter(pk=refund.pk).update(error=str(exc)[:500])
        refund.error = str(exc)[:500]
        return refund
    except AmazonError as exc:
        with transaction.atomic():
            refund.status = RefundStatus.REJECTED
            refund.rejection_reason = f"Amazon refused the refund: {exc.error_msg or exc}"[:300]
            refund.error = str(exc)[:500]
            refund.save()
            order_event(
                order=refund.order, type="refund_failed", refund_id=refund.pk, error=str(exc)
            )
            _notify(signals.refund_changed, refund_id=refund.pk)
        return refund
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundStatus.APPROVED:
            locked.status = RefundStatus.REFUNDED
            locked.reconciliation_id = result.reconciliation_id or ""
            locked.refunded_at = timezone.now()
            locked.error = ""
            locked.save()
            order.refunded_amount += locked.amount
            order.save(update_fields=["refunded_amount", "updated_at"])
            order_event(
                order=order,
                type="refunded",
                refund_id=locked.pk,
                amount=str(locked.amount),
                reconciliation_id=locked.reconciliation_id,
            )
            stock_return_for_refund(refund=locked)  # stock (issue 16): refunded lines go back
            _notify(signals.refund_changed, refund_id=locked.pk)
    logger.info("refund sent", extra={"order_id": order.pk, "refund_id": locked.pk})
    return locked


# --- development: time travel ----------------------------------------------------------------


def payment_time_travel(*, hours: float) -> list[PaymentAttempt]:
    """Sandbox only: move every unfinished order ``hours`` into the past (creation, walk-out,
    last attempt, next retry) and run the retry sweep, so the 48-hour schedule can be watched
    in minutes. Refused unless the sandbox is on (never in production)."""
    if not settings.JWO_SANDBOX:
        raise ApplicationError("Time travel is for the sandbox only (JWO_SANDBOX is off).")
    delta = timedelta(hours=hours)
    open_orders = Order.objects.exclude(status__in=[OrderStatus.PAID, OrderStatus.COMPLETED])
    with transaction.atomic():
        for order in open_orders.select_related("trip"):
            Order.objects.filter(pk=order.pk).update(
                created_at=order.created_at - delta,
                last_attempt_at=order.last_attempt_at - delta if order.last_attempt_at else None,
                next_retry_at=order.next_retry_at - delta if order.next_retry_at else None,
            )
            type(order.trip).objects.filter(pk=order.trip_id).update(
                ended_at=order.trip.ended_at - delta, started_at=order.trip.started_at - delta
            )
            order_event(order=order, type="time_travel", hours=hours)
    ran = []
    for order_id in payment_retry_due_claim():
        attempt = payment_retry_due(order_id=order_id)
        if attempt is not None:
            ran.append(attempt)
    return ran
