"""Payment outcome unknown — needs review: what staff decide when no read of Amazon's record
could tell whether a capture happened (engine.py ``to_review``). Both decisions are recorded
with who made them; neither is ever taken automatically."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from integrations.amazon.errors import AmazonError
from jwo_console.exceptions import ApplicationError
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from orders.services import order_event, order_next_action, order_transition

from .attempts import PaymentInProgress, mark
from .capture import handle_amazon_error, send_capture
from .choices import AttemptStatus, AttemptStep
from .finish import finish_paid
from .models import PaymentAttempt

CAPTURE_AGAIN_RISK = (
    "If Amazon did take the first capture, the shopper pays twice. Choose this only after "
    "checking Amazon's records (the Merchant Portal or the processor) for this trip."
)


class ReviewNotAllowed(ApplicationError):
    pass


def _take(
    *, order_id: int, actor: AbstractBaseUser | None, decision: str, sending: bool = False
) -> PaymentAttempt:
    """Lock the order in review and its open attempt; mark the attempt taken by this decision.
    ``sending``: a capture goes out now, so the order leaves REVIEW for ERROR with the next
    action RESOLVE when the lease ends — if this capture's answer is lost too (or the process
    dies), Amazon's record is read again before anyone may decide."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.REVIEW:
            raise ReviewNotAllowed("This order's payment does not need a review any more.")
        attempt = order.payment_attempts.filter(
            status=AttemptStatus.STARTED, step=AttemptStep.CAPTURE_SENT
        ).first()
        if attempt is None:
            raise ReviewNotAllowed("This order has no capture waiting for a decision.")
        if attempt.lease_until is not None and attempt.lease_until > now:
            raise PaymentInProgress("Someone is deciding this order right now.")
        attempt.lease_until = now + timedelta(minutes=2)
        attempt.save(update_fields=["lease_until", "updated_at"])
        order_event(order=order, type="payment_review_decided", actor=actor, decision=decision)
        if sending:
            order_transition(
                order=order,
                to=OrderStatus.ERROR,
                actor=actor,
                reason="review: capture sent again",
                fields={
                    "error_message": (
                        f"Staff sent the capture of {attempt.capture_amount} "
                        f"{attempt.currency} again; waiting for Amazon's answer."
                    ),
                    **order_next_action(order, NextAction.RESOLVE, attempt.lease_until),
                },
            )
    return attempt


def payment_review_captured(
    *, order_id: int, actor: AbstractBaseUser | None, note: str = ""
) -> PaymentAttempt:
    """Staff found the capture on Amazon's side: booked as captured, nothing is sent."""
    attempt = _take(order_id=order_id, actor=actor, decision="Amazon captured it")
    mark(attempt, resolution=f"staff: Amazon captured it. {note}".strip()[:200])
    # From here the order is an ordinary PAID order (the receipt follows).
    return finish_paid(
        attempt=attempt, captured=attempt.capture_amount, now=timezone.now(), actor=actor
    )


def payment_review_capture_again(
    *, order_id: int, actor: AbstractBaseUser | None, confirmed: bool
) -> PaymentAttempt:
    """Staff are sure the first capture never reached Amazon: the same capture is sent again,
    once, after a confirmation that names the risk (``CAPTURE_AGAIN_RISK``)."""
    if not confirmed:
        raise ReviewNotAllowed("Confirm that you checked Amazon's records. " + CAPTURE_AGAIN_RISK)
    attempt = _take(order_id=order_id, actor=actor, decision="Capture again", sending=True)
    mark(attempt, resolution="staff: capture sent again after review")
    order = Order.objects.select_related("trip").get(pk=order_id)
    now = timezone.now()
    try:
        return send_capture(attempt=attempt, order=order, now=now)
    except AmazonError as exc:  # lost again: read first, as always; refused: ERROR
        return handle_amazon_error(attempt=attempt, exc=exc, now=now)
