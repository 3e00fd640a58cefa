"""Unknown capture outcomes (engine.py): read Amazon's record before anything is sent again."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from orders.services import order_event, order_next_action

from .attempts import PaymentInProgress, _lease, _set_next, mark, record_call, trip_ref
from .capture import handle_amazon_error, send_capture
from .choices import (
    AttemptStatus,
    AttemptStep,
)
from .finish import finish_paid, to_review
from .models import PaymentAttempt


def _has_settlement(data: payments_api.TransactionalData) -> bool:
    return bool(data.card_statement_transaction_id or data.reconciliation_id)


def _has_card_record(data: payments_api.TransactionalData) -> bool:
    return bool(data.brand or data.tail or data.authorization_response_code)


def payment_resolve(
    *, order_id: int, actor: AbstractBaseUser | None = None, now: datetime | None = None
) -> PaymentAttempt | None:
    """Settle an attempt whose CaptureCharge went out without an answer, by reading the trip's
    record (GetTransactionalData) first.

    Amazon's pages say neither what a second capture does nor when the transactional data is
    ready (a read may answer "not found"). The careful reading taken here: the
    settlement references (``cardStatementTransactionId``, ``reconciliationId``) belong to a
    captured transaction — an authorization alone has no statement line. So:

    - a record with a settlement reference: the capture happened; it is booked, never resent;
    - a card record without one: Amazon holds the authorization but no capture; the capture is
      sent again (this is not blind: the read said it never arrived);
    - no record (an empty answer, a refusal) or reads failing ``JWO_RESOLVE_MAX_READS`` times:
      nobody can tell; the order waits in REVIEW for a person (review.py).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("trip").get(pk=order_id)
        )
        attempt = order.payment_attempts.filter(
            status=AttemptStatus.STARTED, step=AttemptStep.CAPTURE_SENT
        ).first()
        if attempt is None or order.status == OrderStatus.REVIEW:
            if order.next_action == NextAction.RESOLVE:  # nothing to read: staff decide
                fields = order_next_action(order, NextAction.NONE, None)
                order.save(update_fields=[*fields, "updated_at"])
            return None
        if attempt.lease_until is not None and attempt.lease_until > now:
            raise PaymentInProgress(
                "Amazon is being asked what happened to this order's capture; look again in a "
                "moment."
            )
        attempt.lease_until = _lease(now)
        attempt.reads += 1
        attempt.save(update_fields=["lease_until", "reads", "updated_at"])
        fields = order_next_action(order, NextAction.RESOLVE, attempt.lease_until)
        order.save(update_fields=[*fields, "updated_at"])
        order_event(
            order=order, type="payment_outcome_read", actor=actor, attempt_no=attempt.attempt_no
        )
    trip = trip_ref(order)
    try:
        data = payments_api.client().get_transactional_data(trip)
    except AmazonTransientError as exc:
        record_call(attempt, "GetTransactionalData", trip.to_wire(), {"error": str(exc)})
        if attempt.reads >= settings.JWO_RESOLVE_MAX_READS:
            return to_review(
                attempt=attempt,
                evidence=f"{attempt.reads} reads of the trip's record failed; the last: {exc}",
                now=now,
            )
        wait = exc.retry_after or settings.JWO_RESOLVE_AFTER_SECONDS
        with transaction.atomic():
            PaymentAttempt.objects.filter(pk=attempt.pk).update(lease_until=None)
            _set_next(order.pk, NextAction.RESOLVE, now + timedelta(seconds=wait))
        return attempt
    except AmazonError as exc:
        record_call(attempt, "GetTransactionalData", trip.to_wire(), {"error": str(exc)})
        return to_review(attempt=attempt, evidence=f"the read was refused: {exc}", now=now)
    record_call(
        attempt,
        "GetTransactionalData",
        trip.to_wire(),
        {k: v for k, v in data.__dict__.items() if v is not None},
    )
    if _has_settlement(data):
        mark(attempt, resolution="read: Amazon's record shows the capture")
        return finish_paid(attempt=attempt, captured=attempt.capture_amount, now=now, actor=actor)
    if _has_card_record(data):
        mark(attempt, resolution="read: no capture on Amazon's record; capture sent again")
        order_event(
            order=order,
            type="capture_resent_after_read",
            actor=actor,
            attempt_no=attempt.attempt_no,
            amount=str(attempt.capture_amount),
        )
        try:
            return send_capture(attempt=attempt, order=order, now=now)
        except AmazonError as exc:
            return handle_amazon_error(attempt=attempt, exc=exc, now=now)
    return to_review(
        attempt=attempt, evidence="the trip's record is empty: the read cannot tell", now=now
    )
