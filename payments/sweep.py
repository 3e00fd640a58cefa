"""The sweep: every order whose next action is due, found in the orders table and advanced.

The database is the source of truth; the broker only makes things faster. Every order that is
not final carries ``next_action`` and ``next_action_at`` (orders/choices.py ``NextAction``); beat
runs ``orders_due_claim`` every ``JWO_SWEEP_SECONDS``. A claim does not clear the action: it
moves ``next_action_at`` a claim period ahead, so a task lost with a worker or the broker is
claimed again then. The task carries the claim's time and does nothing if the order has moved
on since (a late duplicate never retries early).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jwo_console.queueing import queue_depths
from orders.choices import NextAction, OrderStatus
from orders.models import Order, ShoppingTrip
from orders.selectors import order_find
from orders.services import order_event, order_price

from .choices import AttemptStatus, AttemptTrigger
from .engine import PaymentInProgress, payment_collect, payment_resolve
from .models import PaymentAttempt
from .receipts import payment_receipt_fetch

logger = logging.getLogger(__name__)


def orders_due(*, now: datetime):
    """The sweep's claim query: on the partial index of ``next_action_at`` (orders/models.py)."""
    return (
        Order.objects.filter(next_action_at__lte=now)
        .exclude(next_action=NextAction.NONE)
        .order_by("next_action_at")
    )


def sweep_horizon(*, now: datetime) -> datetime:
    """Up to when the sweeps take over due work: ``now``, unless the money queue is deep.

    A row's next action starts a grace ahead of the task queued at its commit; behind a rush
    that task can wait longer than the grace, and taking the row over then queues it a second
    time, deepening the backlog that delayed it (in bench/rush.py's full run, four of ten
    money tasks were such seconds). So while the money queue holds more than
    ``JWO_SWEEP_DEEP_QUEUE`` messages, only work overdue by more than
    ``JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS`` is taken over (the Redis visibility timeout: a task
    a lost worker held is handed out again by then). A broker that lost its messages has an
    empty queue, so everything due is taken over at once; a broker whose depth cannot be read
    (not Redis, or away) holds nothing back."""
    depths = queue_depths()
    depth = (depths or {}).get("money", 0)
    if depth <= settings.JWO_SWEEP_DEEP_QUEUE:
        return now
    logger.info("sweep: money queue %s deep, only long-overdue work taken over", depth)
    return now - timedelta(seconds=settings.JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS)


def orders_due_claim(
    *, now: datetime | None = None, due_before: datetime | None = None, limit: int = 500
) -> list[tuple[int, str]]:
    """Claim the orders due by ``due_before`` (default ``now``; rows locked, skipped by a
    concurrent sweep) and return their ids with the claim each carries."""
    now = now or timezone.now()
    claim = now + timedelta(seconds=settings.JWO_SWEEP_CLAIM_SECONDS)
    with transaction.atomic():
        ids = list(
            orders_due(now=due_before or now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Order.objects.filter(pk__in=ids).update(next_action_at=claim)
    return [(pk, claim.isoformat()) for pk in ids]


def order_advance(
    *, order_id: int, claim: str | None = None, now: datetime | None = None
) -> str | None:
    """Do the order's next action. ``claim`` is the sweep's claim time: if the order no longer
    carries it, another run already moved the order on and this one does nothing. Without a
    claim (the task queued after a commit) the action runs if it still stands, except an
    automatic retry, which waits for its time. Returns the action done, or None."""
    now = now or timezone.now()
    order = order_find(order_id)
    if order is None or not order.next_action:
        return None
    if claim is not None and (
        order.next_action_at is None or order.next_action_at.isoformat() != claim
    ):
        return None
    action = order.next_action
    try:
        if action == NextAction.PRICE:
            order = order_price(order_id=order_id)
            if order.status == OrderStatus.PRICED and settings.JWO_PAYMENT_ON_PRICED:
                payment_collect(order_id=order_id, trigger=AttemptTrigger.INITIAL, now=now)
        elif action in (NextAction.PAY, NextAction.RESUME):
            retry = order.payment_attempts.exists()
            if claim is None and retry and action == NextAction.PAY and order.next_action_at > now:
                # A task queued at CreatePurchases that runs late (a broker backlog, or a worker
                # started after the demo was seeded) never jumps the retry schedule.
                return None
            if not retry:
                if not settings.JWO_PAYMENT_ON_PRICED:
                    return None
                trigger = AttemptTrigger.INITIAL
            else:
                trigger = AttemptTrigger.AUTO
            payment_collect(order_id=order_id, trigger=trigger, now=now)
        elif action == NextAction.RESOLVE:
            payment_resolve(order_id=order_id, now=now)
        elif action == NextAction.RECEIPT:
            payment_receipt_fetch(order_id=order_id, now=now)
    except PaymentInProgress:
        return None
    return action


def payment_time_travel(*, hours: float) -> list[PaymentAttempt]:
    """Sandbox only: move every unfinished order ``hours`` into the past (creation, walk-out,
    last attempt, next action) and run the sweep, so the 48-hour schedule can be watched in
    minutes. Refused unless the sandbox is on (never in production)."""
    from jwo_console.exceptions import ApplicationError

    if not settings.JWO_SANDBOX:
        raise ApplicationError("Time travel is for the sandbox only (JWO_SANDBOX is off).")
    delta = timedelta(hours=hours)
    open_orders = Order.objects.exclude(status__in=[OrderStatus.PAID, OrderStatus.COMPLETED])
    with transaction.atomic():
        for order in open_orders.select_related("trip"):
            Order.objects.filter(pk=order.pk).update(
                created_at=order.created_at - delta,
                last_attempt_at=order.last_attempt_at - delta if order.last_attempt_at else None,
                next_action_at=order.next_action_at - delta if order.next_action_at else None,
            )
            ShoppingTrip.objects.filter(pk=order.trip_id).update(
                ended_at=order.trip.ended_at - delta, started_at=order.trip.started_at - delta
            )
            order.payment_attempts.filter(status=AttemptStatus.STARTED).update(lease_until=None)
            order_event(order=order, type="time_travel", hours=hours)
    ran = []
    for order_id, claim in orders_due_claim():
        if order_advance(order_id=order_id, claim=claim) is not None:
            latest = PaymentAttempt.objects.filter(order_id=order_id).order_by("-attempt_no")
            if latest.exists():
                ran.append(latest.first())
    return ran
