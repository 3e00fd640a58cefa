"""The payment rules that need no database and no Amazon: what a retry asks for, when it is due,
whether staff may press Retry. The attempt engine (engine.py), the sweep (sweep.py) and the order
grid all ask these, so the grid's button and the engine can never disagree.

The schedule (README "Getting paid"):

- the first attempt asks for the total; automatic retries follow ``JWO_RETRY_SCHEDULE_MINUTES``
  from the order's creation, inside the retry window (``JWO_RETRY_WINDOW_HOURS``, 48 h);
- retries 1-3 ask for 100 %, then 90 %, 70 %, 60 % of the total (``RETRY_PERCENT``);
- from retry 7 on, AdjustCharge asks for min(total, the trip's authorized amount) and the capture
  follows only an APPROVED answer; what exceeds it stays owed as store credit;
- a staff Retry asks for the full total and neither uses nor shifts an automatic slot.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from jwo_console.money import quantize
from orders.choices import OrderStatus
from orders.models import Order
from orders.schedule import next_retry_at

from .choices import AUTHORIZED_FROM_RETRY, RETRY_PERCENT

__all__ = [
    "Plan",
    "RetryState",
    "next_retry_at",
    "order_retry_state",
    "preauth_expires_at",
    "preauth_near_expiry",
    "retry_plan",
    "retry_state_message",
]


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
        return RetryState(False, f"Only orders in error can be retried ({order.status})")
    if now >= order.retry_by:
        return RetryState(False, "The retry window closed", until=order.retry_by)
    if order.last_attempt_at is not None:
        ready = order.last_attempt_at + timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES)
        if now < ready:
            return RetryState(False, "The last attempt was less than 5 minutes ago", until=ready)
    return RetryState(True)


def retry_state_message(*, order: Order, state: RetryState) -> str:
    """The refusal as staff read it, its time in the store's time zone."""
    if state.until is None:
        return f"{state.reason}."
    local = timezone.localtime(state.until, order.store.zone)
    return f"{state.reason} (until {local:%Y-%m-%d %H:%M %Z})."


@dataclass(frozen=True)
class Plan:
    """What one attempt asks for. ``capture_amount`` is None when AdjustCharge's answer decides
    it (always, for the Payment Service)."""

    percent: Decimal | None
    requested_amount: Decimal
    capture_amount: Decimal | None = None
    authorized_source: str = ""

    def as_fields(self) -> dict:
        return {
            "percent": self.percent,
            "requested_amount": self.requested_amount,
            "capture_amount": self.capture_amount,
            "authorized_source": self.authorized_source,
        }


def retry_plan(
    *,
    retry_no: int,
    total: Decimal,
    authorized: Decimal,
    currency: str,
    authorized_source: str = "",
    manual: bool = False,
) -> Plan:
    """What an attempt asks AdjustCharge for: the whole total for the first attempt, retries 1-3
    and any staff Retry; 90 %, 70 %, 60 % for retries 4-6; from retry 7 the total if it fits in
    the trip's authorized amount, otherwise that amount (the rest becomes store credit)."""
    if manual:
        return Plan(percent=Decimal("100"), requested_amount=total)
    if retry_no >= AUTHORIZED_FROM_RETRY:
        return Plan(
            percent=None,
            requested_amount=min(total, quantize(authorized, currency)),
            authorized_source=authorized_source,
        )
    percent = RETRY_PERCENT[retry_no]
    return Plan(percent=percent, requested_amount=quantize(total * percent / 100, currency))


def preauth_expires_at(*, order: Order) -> datetime:
    """When the gate's pre-auth is assumed to lapse: the trip's start plus
    ``JWO_PREAUTH_LIFETIME_HOURS``. Amazon's pages give no figure (it depends on the processor),
    so it is a setting."""
    return order.trip.started_at + timedelta(hours=settings.JWO_PREAUTH_LIFETIME_HOURS)


def preauth_near_expiry(*, order: Order, now: datetime | None = None) -> bool:
    """An unpaid order whose pre-auth lapses within ``JWO_PREAUTH_WARN_HOURS``."""
    now = now or timezone.now()
    if order.status in (OrderStatus.PAID, OrderStatus.COMPLETED):
        return False
    warn = timedelta(hours=settings.JWO_PREAUTH_WARN_HOURS)
    return now >= preauth_expires_at(order=order) - warn
