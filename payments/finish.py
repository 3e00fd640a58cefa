"""Finishing an attempt (engine.py step 3): paid, declined or refused, pending, suspended after
a transient failure, an unknown capture outcome parked for a read, or REVIEW for a person."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertKind, AlertSeverity
from alerts.services import alert_raise, alert_resolve
from integrations.amazon.errors import AmazonTransientError
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from orders.selectors import order_get
from orders.services import order_event, order_next_action, order_transition
from shoppers.choices import LedgerKind
from shoppers.ledger import book_debt, debt_reference, ledger_book, ledger_has, ledger_party
from shoppers.models import LedgerEntry
from stores.choices import PaymentMode

from .attempts import _park, _within_window, close, error_stage, logger
from .choices import (
    AttemptStatus,
    AttemptStep,
    AttemptTrigger,
)
from .models import PaymentAttempt
from .reports import payment_status_report_queue
from .rules import next_retry_at
from .tenders import _book_tenders


def finish_paid(
    *,
    attempt: PaymentAttempt,
    captured: Decimal,
    now: datetime,
    resolution: str = "",
    actor: AbstractBaseUser | None = None,
) -> PaymentAttempt:
    actor = actor or attempt.initiated_by
    with transaction.atomic():
        order = order_get(attempt.order_id, "trip", "store", lock=True)
        close(
            attempt,
            status=AttemptStatus.SUCCEEDED,
            step=AttemptStep.DONE,
            captured_amount=captured,
            error="",
            resolution=resolution or attempt.resolution,
        )
        remainder = _book_tenders(order=order, attempt=attempt, captured=captured)
        if remainder > 0 or ledger_has(reference=debt_reference(order)):
            # Collected less than the total (a reduced retry or the authorized amount), or after
            # a decline: the debt stands for the total and the capture pays part or all of it.
            book_debt(order)
            if remainder > 0:
                # What the card did not cover is store credit owed (seed 000); the debt's note
                # says so (its amount, the total, is unchanged).
                LedgerEntry.objects.filter(reference=debt_reference(order)).update(
                    note=(
                        f"Order {order.purchase_id}: {remainder} {order.currency} owed as store "
                        f"credit (card collected {captured} of {order.total})"
                    )
                )
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
        receipt_next = not empty and attempt.service == PaymentMode.PAYMENT_SERVICE
        fields: dict[str, Any] = {
            "captured_amount": captured,
            "store_credit_amount": remainder,
            "error_stage": "",
            "error_message": "",
            "checkout_order_id": attempt.remote_order_id,
            **order_next_action(
                order,
                NextAction.RECEIPT if receipt_next else NextAction.NONE,
                now + timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS),
            ),
        }
        if not receipt_next:
            fields["completed_at"] = timezone.now()
        reason = (
            "empty cart: pre-auth released"
            if empty
            else f"captured {captured} {order.currency}"
            + (f"; {remainder} {order.currency} owed as store credit" if remainder > 0 else "")
        )
        order_transition(
            order=order,
            to=OrderStatus.PAID if receipt_next else OrderStatus.COMPLETED,
            actor=actor,
            reason=reason,
            fields=fields,
        )
        payment_status_report_queue(
            order=order, reference=f"{attempt.idempotency_key}:report", when=now
        )
        alert_resolve(kind=AlertKind.PAYMENT_REVIEW, key=f"order:{order.pk}")
        order_event(
            order=order,
            type="payment_succeeded",
            actor=actor,
            attempt_no=attempt.attempt_no,
            captured=str(captured),
            store_credit=str(remainder),
            resolution=attempt.resolution,
        )
    logger.info(
        "payment succeeded: %s %s",
        captured,
        order.currency,
        extra={"order_id": order.pk, "trip_id": order.trip.trip_id},
    )
    if receipt_next:
        from .receipts import payment_receipt_fetch

        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def finish_failed(
    *, attempt: PaymentAttempt, status: str, message: str, now: datetime
) -> PaymentAttempt:
    """DECLINED: booked as owed, the next automatic slot scheduled. REJECTED (Amazon refused the
    request): no automatic retry; the order shows Amazon's message and staff may Retry."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("trip")
            .get(pk=attempt.order_id)
        )
        close(attempt, status=status, error=message[:500])
        if status == AttemptStatus.DECLINED:
            book_debt(order)
            payment_status_report_queue(
                order=order, reference=f"{attempt.idempotency_key}:report", when=now
            )
            due = next_retry_at(order=order, retry_no=attempt.retry_no + 1, now=now)
            suffix = (
                "" if due else " No automatic retry is left; the balance waits for the shopper."
            )
        else:
            due = None
            suffix = " Not retried automatically: fix the cause, then Retry."
        order_transition(
            order=order,
            to=OrderStatus.ERROR,
            actor=attempt.initiated_by,
            reason=message[:300],
            fields={
                "error_stage": error_stage(attempt),
                "error_message": (message + "." + suffix)[:500],
                **order_next_action(order, NextAction.PAY if due else NextAction.NONE, due),
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
        from .receipts import payment_receipt_fetch

        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def _finish_pending(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    """PENDING: the same amount is asked again shortly, at most ``JWO_PENDING_MAX_CHECKS`` times
    for one slot; then the order is in ERROR (staff are alerted) and the schedule goes on."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=attempt.order_id)
        )
        close(attempt, status=AttemptStatus.PENDING, error="AdjustCharge is PENDING")
        checks = order.payment_attempts.filter(
            retry_no=attempt.retry_no, status=AttemptStatus.PENDING
        ).exclude(trigger=AttemptTrigger.MANUAL)
        if attempt.trigger != AttemptTrigger.MANUAL and (
            checks.count() >= settings.JWO_PENDING_MAX_CHECKS
        ):
            due = next_retry_at(order=order, retry_no=attempt.retry_no + 1, now=now)
            message = f"AdjustCharge stayed PENDING after {checks.count()} checks" + (
                "" if due else "; no automatic retry is left"
            )
            order_transition(
                order=order,
                to=OrderStatus.ERROR,
                reason=message,
                fields={
                    "error_stage": error_stage(attempt),
                    "error_message": message[:500],
                    **order_next_action(order, NextAction.PAY if due else "", due),
                },
            )
            pending_too_long = True
        else:
            due = _within_window(order, now + timedelta(seconds=settings.JWO_PENDING_RETRY_SECONDS))
            fields = order_next_action(order, NextAction.PAY if due else "", due)
            order.save(update_fields=[*fields, "updated_at"])
            pending_too_long = False
        order_event(
            order=order,
            type="payment_pending",
            attempt_no=attempt.attempt_no,
            next_action_at=due.isoformat() if due else None,
        )
        if pending_too_long:
            alert_raise(
                kind=AlertKind.PAYMENT_PENDING_TOO_LONG,
                key=f"order:{order.pk}",
                title=f"Order {order.purchase_id}: AdjustCharge stayed PENDING",
                detail=f"{message}. The order is in ERROR; the retry schedule goes on.",
                store=order.store,
            )
    return attempt


def _suspend(*, attempt: PaymentAttempt, exc: AmazonTransientError, now: datetime):
    """Amazon did not answer an idempotent call: the attempt stays open at its step (the next
    try resumes it with the same amounts) and the order shows the error until then."""
    wait = exc.retry_after or settings.JWO_TRANSIENT_RETRY_SECONDS
    due = _within_window(attempt.order, now + timedelta(seconds=wait))
    message = f"Amazon did not answer ({exc}); the attempt is resumed automatically."
    if due is None:
        message = f"Amazon did not answer ({exc}); the retry window closed."
    _park(
        attempt=attempt,
        error=f"{exc}",
        to=OrderStatus.ERROR,
        message=message,
        action=NextAction.RESUME if due else NextAction.NONE,
        at=due,
        actor=attempt.initiated_by,
    )
    logger.warning("payment suspended: %s", exc, extra={"order_id": attempt.order_id})
    return attempt


def outcome_unknown(*, attempt: PaymentAttempt, evidence: str, now: datetime) -> PaymentAttempt:
    """A capture went out and no answer came back: the order waits for a read of Amazon's record
    (``payment_resolve``), shortly; nothing is sent again until that read has spoken."""
    message = (
        f"Amazon did not answer the capture ({evidence}); asking Amazon whether it happened "
        "before anything is sent again."
    )
    _park(
        attempt=attempt,
        error=evidence,
        to=OrderStatus.ERROR,
        message=message,
        action=NextAction.RESOLVE,
        at=now + timedelta(seconds=settings.JWO_RESOLVE_AFTER_SECONDS),
        actor=attempt.initiated_by,
    )
    logger.warning("capture outcome unknown: %s", evidence, extra={"order_id": attempt.order_id})
    return attempt


def to_review(*, attempt: PaymentAttempt, evidence: str, now: datetime) -> PaymentAttempt:
    """Nobody can tell whether the capture happened: the order waits for a person (Financial →
    Orders, "Payment outcome unknown"), with the evidence. Never an automatic second capture."""
    message = (
        f"Payment outcome unknown: a capture of {attempt.capture_amount} {attempt.currency} "
        f"went out without an answer and {evidence}. Check with Amazon, then choose "
        "'Amazon captured it' or 'Capture again'."
    )
    with transaction.atomic():
        order = _park(
            attempt=attempt,
            error=evidence,
            to=OrderStatus.REVIEW,
            message=message,
            action=NextAction.NONE,
            at=None,
            actor=None,
        )
        alert_raise(
            kind=AlertKind.PAYMENT_REVIEW,
            key=f"order:{order.pk}",
            title=f"Order {order.purchase_id}: payment outcome unknown — needs review",
            detail=message,
            store=order.store,
            severity=AlertSeverity.CRITICAL,
        )
    logger.error("payment outcome needs review: %s", evidence, extra={"order_id": order.pk})
    return attempt
