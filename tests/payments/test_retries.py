"""Automatic and staff retries: the schedule, the falling amounts, the 48-hour and 5-minute
rules, and one capture however many try at once."""

import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order
from payments.choices import AttemptTrigger
from payments.models import PaymentAttempt
from payments.services import (
    PaymentInProgress,
    RetryNotAllowed,
    order_retry_state,
    payment_collect,
    payment_retry_due_claim,
    payment_take,
    retry_plan,
)
from sandbox.models import SandboxCall, SandboxTrip
from shoppers.models import Shopper
from shoppers.services import shopper_outstanding_balance
from tests.factories import staff_user

from .conftest import make_order, sandbox_trip, trip_id

USD = "USD"


@pytest.mark.parametrize(
    ("retry_no", "requested"),
    [(0, "50.00"), (1, "50.00"), (2, "50.00"), (3, "50.00"), (4, "45.00"), (5, "35.00"),
     (6, "30.00")],
)  # fmt: skip
def test_each_retry_asks_for_its_share_of_the_total(retry_no, requested):
    plan = retry_plan(
        retry_no=retry_no, total=Decimal("50.00"), preauth=Decimal("25"), currency=USD
    )
    assert (plan["requested_amount"], plan["capture_amount"]) == (Decimal(requested), None)


def test_shares_round_half_up_to_the_cent():
    plan = retry_plan(retry_no=5, total=Decimal("10.05"), preauth=Decimal("25"), currency=USD)
    assert plan["requested_amount"] == Decimal("7.04")  # 7.035 → 7.04


@pytest.mark.parametrize(
    ("total", "preauth", "capture"),
    [("18.00", "25.00", "18.00"), ("40.00", "25.00", "25.00")],
)
def test_from_retry_7_the_authorized_amount_is_captured(total, preauth, capture):
    for retry_no in (7, 8):
        plan = retry_plan(
            retry_no=retry_no, total=Decimal(total), preauth=Decimal(preauth), currency=USD
        )
        assert plan["capture_amount"] == Decimal(capture)


def run_schedule(order, *, until_status=("PAID", "COMPLETED")):
    """Drive the automatic retries at their due times (the sweep's clock). Returns the attempts
    and the minutes after the order's creation at which each ran."""
    attempts, minutes = [], []
    for _ in range(12):
        order.refresh_from_db()
        if order.status in until_status or order.next_retry_at is None:
            break
        due = order.next_retry_at
        assert payment_retry_due_claim(now=due) == [order.pk]
        attempts.append(payment_collect(order_id=order.pk, trigger="AUTO", now=due))
        minutes.append(round((due - order.created_at).total_seconds() / 60))
    order.refresh_from_db()
    return attempts, minutes


def test_a_card_that_keeps_declining_walks_the_whole_schedule_then_pays_the_preauth(mapping):
    """Declines at every share; retry 7 captures the store's 25.00 pre-auth (the Merchant
    Portal's Authorized Amount, mirrored on the mapping) and 15.00 stays owed."""
    shopper = Shopper.objects.create(email="nsf@example.com")
    order = make_order(mapping, total="40.00", trip=trip_id("decline"), shopper=shopper)
    payment_take(order_id=order.pk)
    attempts, minutes = run_schedule(order)
    assert [a.retry_no for a in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert minutes == [15, 60, 240, 480, 960, 1440, 2160]  # the schedule, from creation
    adjusts = [
        c["request"]["amount"]["amount"]
        for a in PaymentAttempt.objects.filter(order=order).order_by("attempt_no")
        for c in a.calls
        if c["operation"] == "AdjustCharge"
    ]
    assert adjusts == ["40.00", "40.00", "40.00", "40.00", "36.00", "28.00", "24.00"]
    last = attempts[-1]
    assert [c["operation"] for c in last.calls] == ["CaptureCharge"]
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("25.00"))
    assert sandbox_trip(order).captured_amount == Decimal("25.00")
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("15.00")


def test_a_total_within_the_preauth_is_captured_whole_at_retry_7(mapping):
    shopper = Shopper.objects.create(email="whole@example.com")
    order = make_order(mapping, total="18.00", trip=trip_id("decline"), shopper=shopper)
    payment_take(order_id=order.pk)
    attempts, _ = run_schedule(order)
    assert attempts[-1].retry_no == 7
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("18.00"))
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("0.00")


def test_insufficient_funds_recovers_at_a_reduced_share_and_the_rest_stays_owed(mapping):
    """Funds for 30.00: 40 (x4) and 36 decline, 28.00 (70 %) is approved and captured."""
    shopper = Shopper.objects.create(email="partial@example.com")
    order = make_order(mapping, total="40.00", trip=trip_id("nsf3000"), shopper=shopper)
    payment_take(order_id=order.pk)
    attempts, _ = run_schedule(order)
    assert attempts[-1].retry_no == 5
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("28.00"))
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("12.00")
    assert order.events.filter(type="status_changed", parameters__to="PAID").exists()


def test_automatic_retries_stop_at_the_48_hour_window(mapping):
    late = make_order(mapping, total="40.00", trip=trip_id("decline"), age=timedelta(hours=47))
    payment_take(order_id=late.pk)
    late.refresh_from_db()
    # Retry 1's slot (15 min) is long past: it runs after the cooldown, still inside 48 h.
    assert late.next_retry_at - late.last_attempt_at == timedelta(minutes=5)

    age = timedelta(hours=47, minutes=56)
    order = make_order(mapping, total="40.00", trip=trip_id("decline"), age=age)
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == "ERROR"
    assert order.next_retry_at is None  # the cooldown would end past 48 h
    assert "No automatic retry is left" in order.error_message
    assert payment_collect(order_id=order.pk, trigger="AUTO", now=order.retry_by) is None


class TestStaffRetryRules:
    def test_only_orders_in_error(self, mapping):
        order = make_order(mapping, total="5.00")
        state = order_retry_state(order=order)
        assert not state.allowed and "Only orders in error" in state.reason

    def test_within_48_hours_of_creation(self, mapping):
        order = make_order(mapping, total="5.00", trip=trip_id("decline"))
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        inside = order.created_at + timedelta(hours=47, minutes=59)
        assert order_retry_state(order=order, now=inside).allowed
        closed = order_retry_state(order=order, now=order.created_at + timedelta(hours=48))
        assert (closed.allowed, closed.until) == (False, order.created_at + timedelta(hours=48))
        assert "window closed" in closed.reason
        with pytest.raises(RetryNotAllowed, match="window closed"):
            payment_collect(
                order_id=order.pk, trigger="MANUAL", now=order.created_at + timedelta(hours=49)
            )

    def test_not_within_5_minutes_of_the_last_attempt(self, mapping):
        order = make_order(mapping, total="5.00", trip=trip_id("decline"))
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        last = order.last_attempt_at
        soon = order_retry_state(order=order, now=last + timedelta(minutes=4, seconds=59))
        assert (soon.allowed, soon.until) == (False, last + timedelta(minutes=5))
        assert order_retry_state(order=order, now=last + timedelta(minutes=5)).allowed
        with pytest.raises(RetryNotAllowed, match="less than 5 minutes"):
            payment_collect(order_id=order.pk, trigger="MANUAL", now=last + timedelta(minutes=1))

    def test_a_staff_retry_is_recorded_with_its_actor(self, mapping):
        user = staff_user(username="retrier")
        order = make_order(mapping, total="8.00", trip=trip_id("nsf600"))
        payment_take(order_id=order.pk)
        later = timezone.now() + timedelta(minutes=6)
        attempt = payment_collect(order_id=order.pk, trigger="MANUAL", actor=user, now=later)
        assert (attempt.trigger, attempt.initiated_by, attempt.retry_no) == ("MANUAL", user, 1)
        assert order.events.filter(type="payment_attempt_started", actor=user).exists()


@pytest.mark.django_db(transaction=True)
def test_many_staff_pressing_retry_at_once_capture_once(mapping):
    """Ten concurrent retries of one declined order whose card now has the funds: one capture."""
    order = make_order(mapping, total="9.50", trip=trip_id("nsf900"), age=timedelta(minutes=10))
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == "ERROR"
    SandboxTrip.objects.filter(trip_id=order.trip.trip_id).update(card_profile="OK")
    Order.objects.filter(pk=order.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=6))
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def press() -> None:
        try:
            barrier.wait()
            attempt = payment_collect(order_id=order.pk, trigger=AttemptTrigger.MANUAL)
            outcomes.append(attempt.status if attempt else "nothing")
        except (PaymentInProgress, RetryNotAllowed) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    order.refresh_from_db()
    assert outcomes.count("SUCCEEDED") == 1, outcomes
    assert set(outcomes) <= {"SUCCEEDED", "PaymentInProgress", "RetryNotAllowed", "nothing"}
    assert order.status == "COMPLETED"
    assert PaymentAttempt.objects.filter(order=order, status="SUCCEEDED").count() == 1
    assert sandbox_trip(order).captured_amount == Decimal("9.50")
    assert (
        SandboxCall.objects.filter(
            operation="CaptureCharge", body__contains=order.trip.trip_id
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_sweep_claims_each_due_order_once(mapping):
    orders = [
        make_order(mapping, total="3.00", trip=trip_id("decline"), age=timedelta(minutes=30))
        for _ in range(3)
    ]
    for order in orders:
        payment_take(order_id=order.pk)
    now = timezone.now() + timedelta(minutes=31)
    claimed: list[list[int]] = []

    def sweep() -> None:
        try:
            claimed.append(payment_retry_due_claim(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [pk for batch in claimed for pk in batch]
    assert sorted(all_ids) == sorted(o.pk for o in orders)


def test_time_travel_runs_the_schedule_in_development(mapping):
    from django.core.management import call_command

    order = make_order(mapping, total="40.00", trip=trip_id("nsf3000"))
    payment_take(order_id=order.pk)
    out = StringIO()
    call_command("payments_time_travel", "0.5", stdout=out)  # past retry 1's 15-minute slot
    assert f"{order.purchase_id}: retry 1 DECLINED -> ERROR" in out.getvalue()
    for hours in (1, 4, 4, 8):
        call_command("payments_time_travel", str(hours), stdout=out)
    order.refresh_from_db()
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("28.00"))  # 70 %


def test_time_travel_is_refused_outside_the_sandbox(mapping, settings):
    from django.core.management import CommandError, call_command

    settings.JWO_SANDBOX = False
    with pytest.raises(CommandError, match="sandbox only"):
        call_command("payments_time_travel", "1")
