"""Money under faults, against the sandbox over real HTTP: every order has a next action the
sweep finds; an unknown capture outcome is read, never resent blind; refusals are not retried."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order
from payments.models import PaymentAttempt
from payments.services import (
    ReviewNotAllowed,
    order_advance,
    orders_due_claim,
    payment_collect,
    payment_review_capture_again,
    payment_review_captured,
    payment_take,
)
from sandbox.models import SandboxCall, SandboxFault
from tests.factories import OrderFactory, staff_user

from .conftest import sandbox_trip, trip_id


def capture_calls(order) -> int:
    return SandboxCall.objects.filter(
        operation="CaptureCharge", body__contains=order.trip.trip_id
    ).count()


def sweep(now):
    """One pass of beat's sweep at ``now``: each claimed order advanced by its task."""
    done = []
    for order_id, claim in orders_due_claim(now=now):
        done.append(order_advance(order_id=order_id, claim=claim, now=now))
    return done


def fault(operation: str, kind: str, remaining: int = 1, **extra) -> SandboxFault:
    return SandboxFault.objects.create(
        service="payments", operation=operation, kind=kind, remaining=remaining, **extra
    )


class TestUnknownCaptureOutcomes:
    def test_capture_done_answer_lost_is_read_and_booked_without_a_second_capture(self, mapping):
        order = OrderFactory(mapping=mapping, total="12.40")
        fault("CaptureCharge", "LOST")
        attempt = payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert (attempt.status, attempt.step) == ("STARTED", "CAPTURE_SENT")
        assert (order.status, order.next_action) == ("ERROR", "RESOLVE")
        assert "before anything is sent again" in order.error_message
        assert sandbox_trip(order).captured_amount == Decimal("12.40")  # Amazon took it

        assert sweep(order.next_action_at) == ["RESOLVE"]
        order.refresh_from_db()
        attempt.refresh_from_db()
        assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("12.40"))
        assert attempt.status == "SUCCEEDED" and attempt.reads == 1
        assert capture_calls(order) == 1
        assert sandbox_trip(order).capture_replays == 0
        reads = [c["operation"] for c in attempt.calls]
        assert reads == ["AdjustCharge", "CaptureCharge", "GetTransactionalData"]

    def test_capture_that_never_arrived_is_sent_again_only_after_the_read_says_so(self, mapping):
        order = OrderFactory(mapping=mapping, total="8.10")
        fault("CaptureCharge", "TIMEOUT")
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert order.next_action == "RESOLVE"
        assert sandbox_trip(order).captured_amount == Decimal("0")

        sweep(order.next_action_at)
        order.refresh_from_db()
        attempt = PaymentAttempt.objects.get(order=order)
        assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("8.10"))
        assert "capture sent again" in attempt.resolution
        assert order.events.filter(type="capture_resent_after_read").count() == 1
        trip = sandbox_trip(order)
        assert (trip.captured_amount, trip.capture_replays) == (Decimal("8.10"), 0)

    def test_a_read_that_knows_nothing_puts_the_order_in_review_and_nothing_is_resent(
        self, mapping
    ):
        order = OrderFactory(mapping=mapping, total="20.00")
        fault("CaptureCharge", "LOST")
        fault("GetTransactionalData", "BLIND")
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        sweep(order.next_action_at)
        order.refresh_from_db()
        assert order.status == "REVIEW"
        assert (order.next_action, order.next_action_at) == ("", None)
        assert "Payment outcome unknown" in order.error_message
        assert capture_calls(order) == 1
        from alerts.models import Alert

        alert = Alert.objects.get(kind="PAYMENT_REVIEW", key=f"order:{order.pk}")
        assert (alert.status, alert.severity, alert.store) == ("OPEN", "critical", order.store)
        # The sweep never touches it again, however late.
        assert sweep(timezone.now() + timedelta(days=3)) == []
        # Staff Retry is not the way out of a review.
        assert payment_collect(order_id=order.pk, trigger="AUTO") is None

        user = staff_user(username="reviewer")
        payment_review_captured(order_id=order.pk, actor=user, note="seen in the portal")
        order.refresh_from_db()
        assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("20.00"))
        assert capture_calls(order) == 1
        decided = order.events.get(type="payment_review_decided")
        assert (decided.actor, decided.parameters["decision"]) == (user, "Amazon captured it")
        alert.refresh_from_db()
        assert alert.status == "RESOLVED"

    def test_capture_again_needs_a_confirmation_and_then_sends_one_capture(self, mapping):
        order = OrderFactory(mapping=mapping, total="6.00")
        fault("CaptureCharge", "TIMEOUT")  # it never arrived ...
        fault("GetTransactionalData", "BLIND")  # ... but the read cannot tell
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        sweep(order.next_action_at)
        order.refresh_from_db()
        assert order.status == "REVIEW"
        user = staff_user(username="reviewer2")
        with pytest.raises(ReviewNotAllowed, match="pays twice"):
            payment_review_capture_again(order_id=order.pk, actor=user, confirmed=False)
        payment_review_capture_again(order_id=order.pk, actor=user, confirmed=True)
        order.refresh_from_db()
        assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("6.00"))
        assert sandbox_trip(order).captured_amount == Decimal("6.00")
        with pytest.raises(ReviewNotAllowed):
            payment_review_captured(order_id=order.pk, actor=user)

    def test_reads_failing_again_and_again_end_in_review(self, mapping, settings):
        settings.JWO_RESOLVE_MAX_READS = 2
        order = OrderFactory(mapping=mapping, total="3.00")
        fault("CaptureCharge", "LOST")
        fault("GetTransactionalData", "503", remaining=20)  # the transport retries reads too
        payment_take(order_id=order.pk)
        for _ in range(2):
            order.refresh_from_db()
            sweep(order.next_action_at)
        order.refresh_from_db()
        assert order.status == "REVIEW"
        assert "2 reads of the trip's record failed" in order.error_message


class TestClassification:
    def test_a_rejected_adjust_ends_the_automatic_schedule_and_staff_may_retry(self, mapping):
        order = OrderFactory(mapping=mapping, total="5.00", trip__trip_id=trip_id("ok"))
        order.trip.trip_id = "unknown-to-amazon-trip"
        order.trip.save()
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        attempt = PaymentAttempt.objects.get(order=order)
        assert attempt.status == "REJECTED"
        assert (order.status, order.next_action, order.next_action_at) == ("ERROR", "", None)
        assert "UnknownShoppingTrip" in order.error_message
        assert "Not retried automatically" in order.error_message
        later = timezone.now() + timedelta(minutes=6)
        assert payment_collect(order_id=order.pk, trigger="MANUAL", now=later) is not None

    def test_throttling_and_server_errors_on_adjust_resume_the_same_attempt(self, mapping):
        order = OrderFactory(mapping=mapping, total="9.00")
        fault("AdjustCharge", "503", remaining=10)
        first = payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert (order.status, order.next_action) == ("ERROR", "RESUME")
        SandboxFault.objects.all().delete()
        sweep(order.next_action_at)
        order.refresh_from_db()
        assert order.status == "COMPLETED"
        assert list(PaymentAttempt.objects.filter(order=order)) == [first]

    def test_pending_is_asked_again_at_most_n_times_then_error(self, mapping, settings):
        settings.JWO_PENDING_MAX_CHECKS = 2
        order = OrderFactory(mapping=mapping, total="4.00", trip__trip_id=trip_id("pending"))
        from sandbox.models import SandboxTrip

        payment_take(order_id=order.pk)  # PENDING once (the sandbox's pending profile)
        SandboxTrip.objects.filter(trip_id=order.trip.trip_id).update(pending_served=False)
        order.refresh_from_db()
        assert order.next_action == "PAY"
        sweep(order.next_action_at)
        order.refresh_from_db()
        assert order.status == "ERROR"
        assert "stayed PENDING after 2 checks" in order.error_message
        from alerts.models import Alert

        assert Alert.objects.filter(kind="PAYMENT_PENDING_TOO_LONG", store=order.store).exists()
        assert order.next_action == "PAY"  # the schedule goes on with the next slot


class TestNothingIsLost:
    def test_a_lost_pricing_task_is_priced_and_paid_by_the_sweep(self, mapping, settings):
        settings.JWO_PAYMENT_ON_PRICED = True
        order = OrderFactory(mapping=mapping, total="0.00", lines=0, status="PENDING")
        Order.objects.filter(pk=order.pk).update(next_action="PRICE", next_action_at=timezone.now())
        assert sweep(timezone.now() + timedelta(seconds=1)) == ["PRICE"]
        order.refresh_from_db()
        assert order.status == "COMPLETED"  # an empty cart: priced at 0, pre-auth released

    def test_a_late_duplicate_task_does_nothing(self, mapping, settings):
        settings.JWO_PAYMENT_ON_PRICED = True
        order = OrderFactory(mapping=mapping, total="4.00", trip__trip_id=trip_id("decline"))
        [(order_id, claim)] = orders_due_claim(now=timezone.now())
        assert order_advance(order_id=order_id, claim=claim) == "PAY"
        # The same message delivered again (a worker lost after finishing): the order moved on.
        assert order_advance(order_id=order_id, claim=claim) is None
        assert PaymentAttempt.objects.filter(order=order).count() == 1

    def test_a_paid_order_whose_receipt_fetch_was_lost_completes(self, mapping):
        order = OrderFactory(mapping=mapping, total="2.00")
        fault("GetTransactionalData", "503", remaining=4)  # every try of the transport
        payment_take(order_id=order.pk)
        order.refresh_from_db()
        assert (order.status, order.next_action) == ("PAID", "RECEIPT")
        assert sweep(order.next_action_at) == ["RECEIPT"]
        order.refresh_from_db()
        assert order.status == "COMPLETED"

    def test_a_claimed_order_whose_task_was_lost_is_claimed_again(self, mapping, settings):
        order = OrderFactory(mapping=mapping, total="4.00")
        now = timezone.now()
        [(order_id, _claim)] = orders_due_claim(now=now)  # the task is lost with its worker
        assert orders_due_claim(now=now) == []
        later = now + timedelta(seconds=settings.JWO_SWEEP_CLAIM_SECONDS + 1)
        assert order_id == order.pk
        assert [pk for pk, _ in orders_due_claim(now=later)] == [order.pk]


def test_the_empty_cart_cancel_sends_its_payment_status_report(mapping):
    mapping.fa_strategy = "AMAZON_MANAGED"
    mapping.save()
    order = OrderFactory(mapping=mapping, total="0.00", lines=0)
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == "COMPLETED"
    report = order.status_reports.get()
    assert (report.total_amount, report.settled_amount) == (Decimal("0.00"), Decimal("0.00"))


def test_an_associate_trip_the_store_does_not_charge_releases_the_preauth(mapping):
    """Trip policy "don't charge" (the mapping's, for associates): CancelCharge, COMPLETED at
    zero, nothing owed."""
    from shoppers.models import LedgerEntry

    order = OrderFactory(mapping=mapping, total="9.99")
    order.trip.trip_policy = "NO_CHARGE"
    order.trip.save()
    attempt = payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert [c["operation"] for c in attempt.calls] == ["CancelCharge"]
    assert (order.status, order.captured_amount, order.store_credit_amount) == (
        "COMPLETED",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert sandbox_trip(order).cancelled is True
    assert not LedgerEntry.objects.filter(trip_id=order.trip.trip_id).exists()
    assert order.events.filter(type="trip_not_charged").exists()


def test_a_crash_while_staff_capture_again_is_read_before_anyone_decides_again(
    mapping, monkeypatch
):
    """The staff "Capture again" dies with its process: the order is not left in REVIEW with
    its buttons; the sweep reads Amazon's record first when the lease ends."""
    from integrations.amazon.payments import PaymentsClient

    order = OrderFactory(mapping=mapping, total="6.50")
    fault("CaptureCharge", "TIMEOUT")
    fault("GetTransactionalData", "BLIND")
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    sweep(order.next_action_at)
    order.refresh_from_db()
    assert order.status == "REVIEW"

    def killed(self, trip, amount):
        raise SystemExit("worker killed mid-capture")

    monkeypatch.setattr(PaymentsClient, "capture_charge", killed)
    with pytest.raises(SystemExit):
        payment_review_capture_again(order_id=order.pk, actor=None, confirmed=True)
    monkeypatch.undo()
    order.refresh_from_db()
    attempt = PaymentAttempt.objects.get(order=order)
    assert (order.status, order.next_action) == ("ERROR", "RESOLVE")
    with pytest.raises(ReviewNotAllowed):  # no second decision while the capture is in doubt
        payment_review_capture_again(order_id=order.pk, actor=None, confirmed=True)
    assert sweep(attempt.lease_until + timedelta(seconds=1)) == ["RESOLVE"]
    order.refresh_from_db()
    assert (order.status, order.captured_amount) == ("COMPLETED", Decimal("6.50"))
    assert sandbox_trip(order).capture_replays == 0


class TestFaultForOneTrip:
    def test_a_fault_for_one_trip_leaves_every_other_trip_alone(self, mapping):
        hit = OrderFactory(mapping=mapping, total="3.00")
        spared = OrderFactory(mapping=mapping, total="4.00")
        fault("*", "503", remaining=None, trip_id=hit.trip.trip_id)
        payment_take(order_id=spared.pk)
        payment_take(order_id=hit.pk)
        spared.refresh_from_db()
        hit.refresh_from_db()
        assert spared.status in ("PAID", "COMPLETED")
        assert sandbox_trip(spared).captured_amount == Decimal("4.00")
        assert hit.status == "ERROR"
        from sandbox.models import SandboxTrip

        assert not SandboxTrip.objects.filter(
            trip_id=hit.trip.trip_id, captured_amount__gt=0
        ).exists()
        faulted = SandboxCall.objects.filter(fault="503")
        assert faulted.exists()
        assert all(hit.trip.trip_id in call.body for call in faulted)


@pytest.mark.django_db
def test_the_most_specific_fault_fires_first():
    """A day-wide latency does not hide a fault aimed at one operation or one trip."""
    from sandbox.gateway import _take_fault

    SandboxFault.objects.create(service="*", operation="*", kind="LATENCY", latency_ms=0)
    lost = fault("CaptureCharge", "LOST", remaining=1)
    for_trip = fault("*", "503", remaining=1, trip_id="trip-aimed")
    assert _take_fault("payments", "CaptureCharge", "trip-aimed") == for_trip
    assert _take_fault("payments", "CaptureCharge", "trip-other") == lost
    assert _take_fault("payments", "CaptureCharge", "trip-other").kind == "LATENCY"


@pytest.mark.django_db(transaction=True)
def test_a_counted_fault_fires_exactly_its_count_under_concurrent_calls():
    """No row lock on the faults (a day-wide latency is only read): a counted fault is taken
    by a conditional decrement, so eight calls at once take a fault of three exactly three
    times, and the day-wide latency serves the rest without losing its unlimited count."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from sandbox.gateway import _take_fault

    SandboxFault.objects.create(service="*", operation="*", kind="LATENCY", latency_ms=0)
    counted = fault("CaptureCharge", "503", remaining=3)

    def call(_):
        try:
            return _take_fault("payments", "CaptureCharge", "trip-x").kind
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        kinds = sorted(pool.map(call, range(8)))
    assert kinds.count("503") == 3 and kinds.count("LATENCY") == 5
    counted.refresh_from_db()
    assert counted.remaining == 0
    assert SandboxFault.objects.get(kind="LATENCY").remaining is None
