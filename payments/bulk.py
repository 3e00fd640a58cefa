"""Retry of several orders at once from the grid, and the words staff read about a Retry.

Each order goes through ``services.payment_collect`` exactly as its own Retry button would (so
the 48-hour window, the cooldown and the one-open-attempt rule apply per order); this module
only reports, per order, what happened. Times in the messages are in the order's store's zone.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from orders.choices import OrderStatus
from orders.models import Order

from . import services
from .choices import AttemptStatus, AttemptTrigger

MAX_BULK_RETRY = 50  # one grid page


@dataclass
class RetryOutcome:
    order_id: int
    purchase_id: str
    level: str  # success, warning, error (Django's message levels)
    text: str


def retry_refusal_text(*, order: Order, error: ApplicationError) -> str:
    """Why a Retry was refused, its time in the store's zone (the service's own message says
    UTC; a grid in EST should not)."""
    state = services.order_retry_state(order=order)
    if state.allowed or not state.reason:
        return error.message
    if state.until is None:
        return f"{state.reason}."
    local = timezone.localtime(state.until, order.store.zone)
    word = "on" if "closed" in state.reason else "until"
    return f"{state.reason} ({word} {local:%Y-%m-%d %H:%M} {local.tzname()})."


def retry_one(*, order: Order, actor: AbstractBaseUser | None) -> RetryOutcome:
    """One Retry, told as staff read it."""
    pid = order.purchase_id
    try:
        attempt = services.payment_collect(
            order_id=order.pk, trigger=AttemptTrigger.MANUAL, actor=actor
        )
    except services.RetryNotAllowed as exc:
        return RetryOutcome(order.pk, pid, "error", retry_refusal_text(order=order, error=exc))
    except ApplicationError as exc:
        return RetryOutcome(order.pk, pid, "error", exc.message)
    order.refresh_from_db()
    if order.status in (OrderStatus.PAID, OrderStatus.COMPLETED):
        text = f"paid — captured {order.captured_amount} {order.currency}."
        return RetryOutcome(order.pk, pid, "success", text)
    if attempt is not None and attempt.status == AttemptStatus.PENDING:
        text = "the processor answered PENDING; asked again shortly."
        return RetryOutcome(order.pk, pid, "warning", text)
    if attempt is None and order.status == OrderStatus.ERROR:
        return RetryOutcome(order.pk, pid, "error", f"still in error — {order.error_message}")
    return RetryOutcome(order.pk, pid, "error", order.error_message or order.status)


def orders_retry(*, order_ids: Iterable[int], actor: AbstractBaseUser | None) -> list[RetryOutcome]:
    """Retry each chosen order in turn (at most one grid page); one outcome per order."""
    ids = list(dict.fromkeys(int(i) for i in order_ids))[:MAX_BULK_RETRY]
    orders = Order.objects.select_related("store").in_bulk(ids)
    return [retry_one(order=orders[i], actor=actor) for i in ids if i in orders]
