"""When an order is due again: the retry schedule counted from the order's creation, inside its
retry window. Pricing (a missing item) and payments (a declined card) both follow it."""

from datetime import datetime, timedelta

from django.conf import settings

from .models import Order


def next_retry_at(*, order: Order, retry_no: int, now: datetime) -> datetime | None:
    """When retry ``retry_no`` is due: its offset in ``JWO_RETRY_SCHEDULE_MINUTES`` from the
    order's creation, no sooner than the cooldown after now, and never past the retry window."""
    schedule = settings.JWO_RETRY_SCHEDULE_MINUTES
    if retry_no < 1 or retry_no > len(schedule):
        return None
    due = order.created_at + timedelta(minutes=schedule[retry_no - 1])
    due = max(due, now + timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES))
    return due if due < order.retry_by else None
