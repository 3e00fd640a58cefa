"""What every step of a payment attempt shares (engine.py describes the attempt): its
exceptions, the lease, the committed step markers and call records written before and after
each remote call, closing an attempt and parking it at its step."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError
from jwo_console.exceptions import ApplicationError, ConflictError
from jwo_console.money import (
    ZERO,  # noqa: F401 (the split modules import it from here)
    quantize,
)
from orders.choices import ErrorStage
from orders.models import Order
from orders.services import order_next_action, order_transition
from stores.choices import PaymentMode

from .models import PaymentAttempt

logger = logging.getLogger("payments.engine")


class PaymentInProgress(ConflictError):
    """Another attempt for this order is running right now."""


class RetryNotAllowed(ApplicationError):
    """The order grid's rules refuse a staff retry (status, 48-hour window, 5-minute cooldown)."""


def notify(signal: Any, **ids: int) -> None:
    """Tell the layers above (the portal's e-mails) once the current transaction commits."""
    transaction.on_commit(lambda: signal.send(sender=None, **ids))


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.JWO_ATTEMPT_LEASE_SECONDS)


def _within_window(order: Order, at: datetime) -> datetime | None:
    return at if at < order.retry_by else None


def _set_next(order_id: int, action: str, at: datetime | None) -> None:
    Order.objects.filter(pk=order_id).update(
        next_action=action, next_action_at=at if action else None, updated_at=timezone.now()
    )


def mark(attempt: PaymentAttempt, *, order_next: tuple[str, datetime] | None = None, **fields):
    """Record progress in its own short write, committed before the next remote call; with
    ``order_next`` the order's next action changes in the same transaction."""
    for key, value in fields.items():
        setattr(attempt, key, value)
    if order_next is None:  # one UPDATE is atomic by itself: no BEGIN/COMMIT round trips
        PaymentAttempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now(), **fields)
        return
    with transaction.atomic():
        PaymentAttempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now(), **fields)
        _set_next(attempt.order_id, *order_next)


def record_call(
    attempt: PaymentAttempt, operation: str, request: dict, response: Any, **fields: Any
) -> None:
    """The call and its answer on the attempt, with ``fields`` (what the answer means for the
    attempt) in the same write."""
    attempt.calls = [
        *attempt.calls,
        {
            "operation": operation,
            "request": request,
            "response": response,
            "at": timezone.now().isoformat(),
        },
    ]
    mark(attempt, calls=attempt.calls, **fields)


@contextmanager
def recorded_if_refused(attempt: PaymentAttempt, operation: str, request: dict) -> Iterator[None]:
    """A call Amazon refused or did not answer is on the attempt too, with the error as its
    answer (the answered call is recorded by the caller, with what the answer means)."""
    try:
        yield
    except AmazonError as exc:
        record_call(attempt, operation, request, {"error": str(exc)})
        raise


def wire_money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(quantize(amount, currency)), "code": currency}


def trip_ref(order: Order) -> payments_api.TripRef:
    return payments_api.TripRef(
        store_id=order.trip.jwo_store_id, shopping_trip_id=order.trip.trip_id
    )


def close(attempt: PaymentAttempt, *, status: str, **fields: Any) -> None:
    attempt.status = status
    attempt.lease_until = None
    attempt.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(attempt, key, value)
    attempt.save()


def error_stage(attempt: PaymentAttempt) -> str:
    if attempt.service == PaymentMode.CHECKOUT_SERVICE:
        return ErrorStage.CHECKOUT
    return ErrorStage.PAYMENT


def _park(
    *,
    attempt: PaymentAttempt,
    error: str,
    to: str,
    message: str,
    action: str,
    at: datetime | None,
    actor: AbstractBaseUser | None,
) -> Order:
    """In one transaction: the attempt, left open at its step, gives up its lease and keeps the
    error; the order goes to ``to`` showing ``message``, with its next action."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=attempt.order_id)
        )
        attempt.lease_until = None
        attempt.error = error[:500]
        attempt.save(update_fields=["lease_until", "error", "updated_at"])
        order_transition(
            order=order,
            to=to,
            actor=actor,
            reason=message[:300],
            fields={
                "error_stage": error_stage(attempt),
                "error_message": message[:500],
                **order_next_action(order, action, at),
            },
        )
    return order
