"""Retry of several orders at once from the grid, and the words staff read about a Retry.

Each order goes through ``services.payment_collect`` exactly as its own Retry button would (so
the 48-hour window, the cooldown and the one-open-attempt rule apply per order); this module
only reports, per order, what happened. Times in the messages are in the order's store's zone.
"""

from collections import Counter
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
    # Why no attempt was made (the retry window closed, the cooldown, one already running);
    # empty when the order was retried.
    refused: str = ""


IN_PROGRESS = "a payment attempt is already running"


def _reason(state_reason: str) -> str:
    """A refusal's reason as the middle of a sentence ("the retry window closed")."""
    return state_reason[:1].lower() + state_reason[1:] if state_reason else "refused"


def retry_summary(outcomes: list[RetryOutcome]) -> str:
    """The grid's one-line account of a bulk Retry, the refused orders counted apart from the
    retried ones: "2 retried: 0 paid, 2 still in error; 1 refused: the retry window closed."."""
    refused = [o for o in outcomes if o.refused]
    retried = [o for o in outcomes if not o.refused]
    paid = sum(1 for o in retried if o.level == "success")
    pending = sum(1 for o in retried if o.level == "warning")
    failed = len(retried) - paid - pending
    parts = [f"{len(retried)} retried"]
    if retried:
        counts = [f"{paid} paid"]
        if pending:
            counts.append(f"{pending} pending")
        counts.append(f"{failed} still in error")
        parts = [f"{len(retried)} retried: " + ", ".join(counts)]
    if refused:
        reasons = Counter(o.refused for o in refused)
        if len(reasons) == 1:
            parts.append(f"{len(refused)} refused: {refused[0].refused}")
        else:
            told = ", ".join(f"{n} because {why}" for why, n in reasons.most_common())
            parts.append(f"{len(refused)} refused: {told}")
    return "; ".join(parts) + "."


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
        state = services.order_retry_state(order=order)
        text = retry_refusal_text(order=order, error=exc)
        return RetryOutcome(order.pk, pid, "error", text, refused=_reason(state.reason))
    except services.PaymentInProgress as exc:
        return RetryOutcome(order.pk, pid, "error", exc.message, refused=IN_PROGRESS)
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
