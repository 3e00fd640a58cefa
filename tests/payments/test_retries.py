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
    order_advance,
    order_retry_state,
    orders_due_claim,
    payment_collect,
    payment_take,
    retry_plan,
)
from sandbox.models import SandboxCall, SandboxTrip
from shoppers.models import Shopper
from shoppers.services import shopper_outstanding_balance
from tests.factories import OrderFactory, staff_user

from .conftest import sandbox_trip, trip_id

USD = "USD"


@pytest.mark.parametrize(
    ("retry_no", "requested"),
    [(0, "50.00"), (1, "50.00"), (2, "50.00"), (3, "50.00"), (4, "45.00"), (5, "35.00"),
     (6, "30.00")],
)  # fmt: skip
def test_each_retry_asks_for_its_share_of_the_total(retry_no, requested):
    plan = retry_plan(
        retry_no=retry_no, total=Decimal("50.00"), authorized=Decimal("25"), currency=USD
    )
    assert (plan.requested_amount, plan.capture_amount) == (Decimal(requested), None)


def test_shares_round_half_up_to_the_cent():
    plan = retry_plan(retry_no=5, total=Decimal("10.05"), authorized=Decimal("25"), currency=USD)
    assert plan.requested_amount == Decimal("7.04")  # 7.035 → 7.04


@pytest.mark.parametrize(
    ("total", "authorized", "asked"),
    [("18.00", "25.00", "18.00"), ("40.00", "25.00", "25.00")],
)
def test_from_retry_7_adjust_asks_for_the_authorized_amount(total, authorized, asked):
    """AdjustCharge for min(total, authorized); the capture waits for its APPROVED answer."""
    for retry_no in (7, 8):
        plan = retry_plan(
            retry_no=retry_no,
            total=Decimal(total),
            authorized=Decimal(authorized),
            authorized_source="STORE",
            currency=USD,
        )
        assert (plan.requested_amount, plan.capture_amount) == (Decimal(asked), None)
        assert plan.authorized_source == "STORE"


def test_a_staff_retry_asks_for_the_whole_total_whatever_the_slot():
    plan = retry_plan(
        retry_no=6, total=Decimal("50.00"), authorized=Decimal("25"), currency=USD, manual=True
    )
    assert (plan.percent, plan.requested_amount) == (Decimal("100"), Decimal("50.00"))


def run_schedule(order, *, until_status=("PAID", "COMPLETED")):
    """Drive the automatic retries at their due times (the sweep's clock). Returns the attempts
    and the minutes after the order's creation at which each ran."""
    attempts, minutes = [], []
    for _ in range(12):
        order.refresh_from_db()
        if order.status in until_status or order.next_action_at is None:
            break
        due = order.next_action_at
        [(claimed, claim)] = orders_due_claim(now=due)
        assert claimed == order.pk
        assert order_advance(order_id=order.pk, claim=claim, now=due) == "PAY"
        attempts.append(PaymentAttempt.objects.filter(order=order).latest("attempt_no"))
        minutes.append(round((due - order.created_at).total_seconds() / 60))
    order.refresh_from_db()
    return attempts, minutes


def _adjusts(order) -> list[str]:
    return [
        c["request"]["amount"]["amount"]
        for a in PaymentAttempt.objects.filter(order=order).order_by("attempt_no")
        for c in a.calls
        if c["operation"] == "AdjustCharge"
    ]


def test_a_card_that_keeps_declining_walks_the_whole_schedule_and_is_never_captured(mapping):
    """Declines at every share, and at retry 7 the authorized amount is asked for with an
    AdjustCharge too (never captured without an approval): nothing is taken, all stays owed."""
    shopper = Shopper.objects.create(email="nsf@example.com")
    order = OrderFactory(
        mapping=mapping, total="40.00", trip__trip_id=trip_id("decline"), shopper=shopper
    )
    payment_take(order_id=order.pk)
    attempts, minutes = run_schedule(order)
    assert [a.retry_no for a in attempts] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert minutes == [15, 60, 240, 480, 960, 1440, 2160, 2820]  # the schedule, from creation
    shares = ["40.00", "40.00", "40.00", "40.00", "36.00", "28.00", "24.00"]
    assert _adjusts(order) == [*shares, "25.00", "25.00"]
    assert not [c for a in attempts for c in a.calls if c["operation"] == "CaptureCharge"]
    assert (order.status, order.captured_amount, order.next_action) == ("ERROR", 0, "")
    assert order.retries == len(attempts) == 8  # every automatic attempt after the first
    assert "No automatic retry is left" in order.error_message
    assert sandbox_trip(order).captured_amount == Decimal("0")
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("40.00")


def test_retry_7_collects_the_authorized_amount_and_books_the_rest_as_store_credit(mapping):
    """Funds for 26.00 on a 50.00 cart: every share declines; retry 7 asks for the store's
    25.00 pre-auth, is APPROVED and captured. Two tenders: card 25.00, store credit 25.00."""
    shopper = Shopper.objects.create(email="short@example.com")
    order = OrderFactory(
        mapping=mapping, total="50.00", trip__trip_id=trip_id("nsf2600"), shopper=shopper
    )
    payment_take(order_id=order.pk)
    attempts, _ = run_schedule(order)
    last = attempts[-1]
    assert (last.retry_no, last.authorized_source) == (7, "STORE")
    assert [c["operation"] for c in last.calls] == ["AdjustCharge", "CaptureCharge"]
    assert _adjusts(order)[-1] == "25.00"
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("25.00"))
    assert order.store_credit_amount == Decimal("25.00")
    tenders = {t.kind: t.amount for t in order.tenders.all()}
    assert tenders == {"CARD": Decimal("25.00"), "STORE_CREDIT": Decimal("25.00")}
    assert sandbox_trip(order).captured_amount == Decimal("25.00")
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("25.00")
    assert "store credit" in shopper.ledger.get(kind="DEBT").note
    short = Order.objects.filter(store_credit_amount__gt=0)
    assert list(short) == [order]


def test_an_adjust_answer_is_the_trips_authorized_amount_at_retry_7(mapping):
    """A PENDING answer reported 20.00 authorized on this trip: retry 7 asks for that, not the
    store's 25.00 setting, and says where the amount came from."""
    order = OrderFactory(mapping=mapping, total="50.00", trip__trip_id=trip_id("decline"))
    PaymentAttempt.objects.create(
        order=order,
        attempt_no=0,
        retry_no=6,
        idempotency_key=f"order:{order.pk}:attempt:0",
        trigger="AUTO",
        service="PAYMENT_SERVICE",
        requested_amount=Decimal("30.00"),
        currency=USD,
        status="DECLINED",
        adjust_status="PENDING",
        authorized_amount=Decimal("20.00"),
    )
    attempt = payment_collect(order_id=order.pk, trigger="AUTO")
    assert (attempt.retry_no, attempt.requested_amount) == (7, Decimal("20.00"))
    assert attempt.authorized_source == "ADJUST"


def test_insufficient_funds_recovers_at_a_reduced_share_and_the_rest_stays_owed(mapping):
    """Funds for 30.00: 40 (x4) and 36 decline, 28.00 (70 %) is approved and captured."""
    shopper = Shopper.objects.create(email="partial@example.com")
    order = OrderFactory(
        mapping=mapping, total="40.00", trip__trip_id=trip_id("nsf3000"), shopper=shopper
    )
    payment_take(order_id=order.pk)
    attempts, _ = run_schedule(order)
    assert attempts[-1].retry_no == 5
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("28.00"))
    assert order.store_credit_amount == Decimal("12.00")
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("12.00")
    assert order.events.filter(type="status_changed", parameters__to="PAID").exists()


def test_automatic_retries_stop_at_the_48_hour_window(mapping):
    late = OrderFactory(
        mapping=mapping, total="40.00", trip__trip_id=trip_id("decline"), age=timedelta(hours=47)
    )
    payment_take(order_id=late.pk)
    late.refresh_from_db()
    # Retry 1's slot (15 min) is long past: it runs after the cooldown, still inside 48 h.
    assert late.next_action_at - late.last_attempt_at == timedelta(minutes=5)

    age = timedelta(hours=47, minutes=56)
    order = OrderFactory(mapping=mapping, total="40.00", trip__trip_id=trip_id("decline"), age=age)
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == "ERROR"
    assert order.next_action_at is None  # the cooldown would end past 48 h
    assert "No automatic retry is left" in order.error_message
    assert payment_collect(order_id=order.pk, trigger="AUTO", now=order.retry_by) is None


class TestStaffRetryRules:
    def test_only_orders_in_error(self, mapping):
        order = OrderFactory(mapping=mapping, total="5.00")
        state = order_retry_state(order=order)
        assert not state.allowed and "Only orders in error" in state.reason

    def test_within_48_hours_of_creation(self, mapping):
        order = OrderFactory(mapping=mapping, total="5.00", trip__trip_id=trip_id("decline"))
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
        order = OrderFactory(mapping=mapping, total="5.00", trip__trip_id=trip_id("decline"))
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
        order = OrderFactory(mapping=mapping, total="8.00", trip__trip_id=trip_id("nsf600"))
        payment_take(order_id=order.pk)
        later = timezone.now() + timedelta(minutes=6)
        attempt = payment_collect(order_id=order.pk, trigger="MANUAL", actor=user, now=later)
        assert (attempt.trigger, attempt.initiated_by) == ("MANUAL", user)
        assert order.events.filter(type="payment_attempt_started", actor=user).exists()

    def test_a_staff_retry_asks_for_the_total_and_neither_uses_nor_shifts_a_slot(self, mapping):
        order = OrderFactory(mapping=mapping, total="8.00", trip__trip_id=trip_id("decline"))
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        slot_1 = order.next_action_at
        later = order.last_attempt_at + timedelta(minutes=6)
        manual = payment_collect(order_id=order.pk, trigger="MANUAL", now=later)
        order.refresh_from_db()
        assert (manual.retry_no, manual.requested_amount) == (0, Decimal("8.00"))
        assert (order.next_action, order.next_action_at) == ("PAY", slot_1)  # slot 1 unchanged
        auto = payment_collect(order_id=order.pk, trigger="AUTO", now=slot_1)
        assert auto.retry_no == 1  # the automatic schedule carries on where it was
        order.refresh_from_db()
        assert order.retries == 2  # the staff retry and the automatic one both count


@pytest.mark.django_db(transaction=True)
def test_many_staff_pressing_retry_at_once_capture_once(mapping):
    """Ten concurrent retries of one declined order whose card now has the funds: one capture."""
    order = OrderFactory(
        mapping=mapping, total="9.50", trip__trip_id=trip_id("nsf900"), age=timedelta(minutes=10)
    )
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
        OrderFactory(
            mapping=mapping,
            total="3.00",
            trip__trip_id=trip_id("decline"),
            age=timedelta(minutes=30),
        )
        for _ in range(3)
    ]
    for order in orders:
        payment_take(order_id=order.pk)
    now = timezone.now() + timedelta(minutes=31)
    claimed: list[list] = []

    def sweep() -> None:
        try:
            claimed.append(orders_due_claim(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [pk for batch in claimed for pk, _claim in batch]
    assert sorted(all_ids) == sorted(o.pk for o in orders)


def test_time_travel_runs_the_schedule_in_development(mapping):
    from django.core.management import call_command

    order = OrderFactory(mapping=mapping, total="40.00", trip__trip_id=trip_id("nsf3000"))
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


@pytest.mark.django_db
@pytest.mark.parametrize("depth", ["deep", "shallow", "unknown"])
def test_behind_a_deep_money_queue_the_sweep_leaves_recent_work_to_its_queued_task(
    mapping, monkeypatch, settings, depth
):
    """Behind a rush an order's own task can wait longer than the grace; the sweep taking it
    over would queue it twice. While the money queue is deep it takes over only work overdue
    by more than the broker's visibility timeout; otherwise (or when the depth is unknown)
    everything due."""
    from orders.choices import NextAction
    from payments import sweep
    from payments.tasks import orders_sweep_task

    depths = {
        "deep": {"money": settings.JWO_SWEEP_DEEP_QUEUE + 1},
        "shallow": {"money": settings.JWO_SWEEP_DEEP_QUEUE},
        "unknown": None,
    }[depth]
    monkeypatch.setattr(sweep, "queue_depths", lambda: depths)
    sent: list[int] = []
    monkeypatch.setattr(
        "jwo_console.queueing.send_now", lambda name, pk, claim, **ids: sent.append(pk)
    )
    now = timezone.now()
    grace = settings.JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS
    recent, old = (OrderFactory(mapping=mapping, total="3.00") for _ in range(2))
    Order.objects.filter(pk=recent.pk).update(
        next_action=NextAction.PAY, next_action_at=now - timedelta(minutes=2)
    )
    Order.objects.filter(pk=old.pk).update(
        next_action=NextAction.PAY, next_action_at=now - timedelta(seconds=grace + 60)
    )
    assert orders_sweep_task() == len(sent)
    expected = [old.pk] if depth == "deep" else [old.pk, recent.pk]
    assert sorted(sent) == sorted(expected)
