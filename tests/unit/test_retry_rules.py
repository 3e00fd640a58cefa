"""The retry rules (payments/rules.py, orders/schedule.py) on orders held in memory: what each
retry asks for, when it is due, whether staff may press Retry. No database at all."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.choices import OrderStatus
from orders.models import Order, ShoppingTrip
from orders.schedule import next_retry_at
from payments.choices import AUTHORIZED_FROM_RETRY, RETRY_PERCENT
from payments.rules import (
    order_retry_state,
    preauth_expires_at,
    preauth_near_expiry,
    retry_plan,
    retry_state_message,
)
from stores.models import Store

CREATED = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
SCHEDULE = [15, 60, 240, 480, 960, 1440, 2160, 2820]


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.JWO_RETRY_SCHEDULE_MINUTES = SCHEDULE
    settings.JWO_RETRY_WINDOW_HOURS = 48
    settings.JWO_RETRY_COOLDOWN_MINUTES = 5
    settings.JWO_PREAUTH_LIFETIME_HOURS = 72
    settings.JWO_PREAUTH_WARN_HOURS = 12


def order(status=OrderStatus.ERROR, last_attempt_at=None, created_at=CREATED) -> Order:
    store = Store(name="S", code="s", time_zone="America/New_York")
    trip = ShoppingTrip(store=store, started_at=created_at - timedelta(minutes=5))
    return Order(
        store=store, trip=trip, status=status, created_at=created_at,
        last_attempt_at=last_attempt_at, total=Decimal("40.00"), currency="USD",
    )  # fmt: skip


# --- retry_plan -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_no", "asked"),
    [(0, "40.00"), (1, "40.00"), (3, "40.00"), (4, "36.00"), (5, "28.00"), (6, "24.00")],
)
def test_retries_ask_for_the_scheduled_share(retry_no, asked):
    plan = retry_plan(
        retry_no=retry_no, total=Decimal("40.00"), authorized=Decimal("25.00"), currency="USD"
    )
    assert plan.requested_amount == Decimal(asked) and plan.capture_amount is None


def test_from_retry_seven_the_authorized_amount_is_asked_and_its_source_kept():
    plan = retry_plan(
        retry_no=7, total=Decimal("40.00"), authorized=Decimal("25.004"), currency="USD",
        authorized_source="MAPPING",
    )  # fmt: skip
    assert (plan.percent, plan.requested_amount, plan.authorized_source) == (
        None, Decimal("25.00"), "MAPPING",
    )  # fmt: skip
    assert plan.as_fields()["authorized_source"] == "MAPPING"


def test_a_staff_retry_always_asks_for_the_total():
    plan = retry_plan(
        retry_no=6, total=Decimal("40.00"), authorized=Decimal(0), currency="USD", manual=True
    )
    assert (plan.percent, plan.requested_amount) == (Decimal("100"), Decimal("40.00"))


@settings(max_examples=200, deadline=None)
@given(
    retry_no=st.integers(min_value=0, max_value=12),
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
    authorized=st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.999"), places=3),
    currency=st.sampled_from(["USD", "JPY"]),
)
def test_a_plan_never_asks_more_than_the_total_and_is_in_minor_units(
    retry_no, total, authorized, currency
):
    # A total is always in the currency's minor units (whole yen): pricing rounds it so.
    exponent = Decimal(1) if currency == "JPY" else Decimal("0.01")
    total = max(total.quantize(exponent), exponent)
    plan = retry_plan(retry_no=retry_no, total=total, authorized=authorized, currency=currency)
    assert Decimal(0) <= plan.requested_amount <= total
    if retry_no >= AUTHORIZED_FROM_RETRY:
        assert plan.requested_amount <= max(authorized, Decimal(0)) + Decimal("0.5")
    else:
        assert plan.percent == RETRY_PERCENT[retry_no]
        assert plan.requested_amount == plan.requested_amount.quantize(exponent)


# --- next_retry_at ------------------------------------------------------------------------------


def test_each_retry_is_due_at_its_offset_from_creation():
    o = order()
    for n, minutes in enumerate(SCHEDULE, start=1):
        assert next_retry_at(order=o, retry_no=n, now=CREATED) == CREATED + timedelta(
            minutes=minutes
        )
    assert next_retry_at(order=o, retry_no=0, now=CREATED) is None
    assert next_retry_at(order=o, retry_no=len(SCHEDULE) + 1, now=CREATED) is None


def test_a_late_retry_waits_the_cooldown_and_none_falls_past_the_window():
    o = order()
    late = CREATED + timedelta(hours=3)
    assert next_retry_at(order=o, retry_no=1, now=late) == late + timedelta(minutes=5)
    assert next_retry_at(order=o, retry_no=1, now=CREATED + timedelta(hours=47, minutes=56)) is None


@settings(max_examples=200, deadline=None)
@given(
    retry_no=st.integers(min_value=-1, max_value=10),
    elapsed=st.integers(min_value=0, max_value=60 * 60),  # minutes since creation
    schedule=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=10).map(
        sorted
    ),
)
def test_a_due_retry_is_after_the_cooldown_inside_the_window(retry_no, elapsed, schedule):
    from django.conf import settings as django_settings

    django_settings.JWO_RETRY_SCHEDULE_MINUTES = schedule
    o = order()
    now = CREATED + timedelta(minutes=elapsed)
    due = next_retry_at(order=o, retry_no=retry_no, now=now)
    if due is not None:
        assert 1 <= retry_no <= len(schedule)
        assert due >= now + timedelta(minutes=5)
        assert due >= CREATED + timedelta(minutes=schedule[retry_no - 1])
        assert due < o.retry_by
    elif 1 <= retry_no <= len(schedule):
        offset = CREATED + timedelta(minutes=schedule[retry_no - 1])
        assert max(offset, now + timedelta(minutes=5)) >= o.retry_by


# --- order_retry_state (the Retry button) ----------------------------------------------------


@pytest.mark.parametrize("status", [OrderStatus.PRICED, OrderStatus.PAID, OrderStatus.COMPLETED])
def test_only_orders_in_error_may_be_retried(status):
    state = order_retry_state(order=order(status=status), now=CREATED)
    assert not state.allowed and status in state.reason


def test_the_cooldown_and_the_window_refuse_with_when():
    o = order(last_attempt_at=CREATED + timedelta(hours=1))
    soon = order_retry_state(order=o, now=CREATED + timedelta(hours=1, minutes=4))
    assert (soon.allowed, soon.until) == (False, CREATED + timedelta(hours=1, minutes=5))
    assert "(until 2026-11-23 13:05 EST)." in retry_state_message(order=o, state=soon)
    assert order_retry_state(order=o, now=CREATED + timedelta(hours=1, minutes=5)).allowed
    closed = order_retry_state(order=o, now=CREATED + timedelta(hours=48))
    assert (closed.allowed, closed.reason) == (False, "The retry window closed")


def test_a_refusal_without_a_time_is_one_sentence():
    o = order(status=OrderStatus.PAID)
    state = order_retry_state(order=o, now=CREATED)
    assert retry_state_message(order=o, state=state) == f"{state.reason}."


# --- the gate's pre-auth ----------------------------------------------------------------------


def test_the_preauth_lapses_after_its_lifetime_and_is_flagged_before():
    o = order(status=OrderStatus.ERROR)
    expires = preauth_expires_at(order=o)
    assert expires == o.trip.started_at + timedelta(hours=72)
    assert not preauth_near_expiry(order=o, now=expires - timedelta(hours=13))
    assert preauth_near_expiry(order=o, now=expires - timedelta(hours=12))
    assert not preauth_near_expiry(order=order(status=OrderStatus.PAID), now=expires)
