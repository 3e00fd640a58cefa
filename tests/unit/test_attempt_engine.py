"""The payment attempt's state machine (payments/engine.py) against a scripted Payment Service:
each answer Amazon may give and where it leaves the attempt, the order and the ledger. The
database is the test's own transaction (no live server, no HTTP)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonRejectedError, AmazonTransientError
from orders.choices import NextAction, OrderStatus
from payments.choices import AttemptStatus, AttemptStep, AttemptTrigger
from payments.services import PaymentInProgress, RetryNotAllowed, payment_collect
from shoppers.choices import LedgerKind
from shoppers.models import LedgerEntry
from tests.factories import JwoStoreMappingFactory, OrderFactory, trip_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db):
    mapping = JwoStoreMappingFactory(preauth_amount=Decimal("25.00"))
    return OrderFactory(mapping=mapping, total="12.00", trip__trip_id=trip_id("ok"))


def collect(order, trigger=AttemptTrigger.INITIAL, **kwargs):
    attempt = payment_collect(order_id=order.pk, trigger=trigger, **kwargs)
    order.refresh_from_db()
    if attempt is not None:
        attempt.refresh_from_db()
    return attempt


def test_approved_is_captured_once_for_the_total(order, fake_payments):
    fake_payments.approve("12.00")
    attempt = collect(order)
    assert fake_payments.calls[:2] == [("adjust", Decimal("12.00")), ("capture", Decimal("12.00"))]
    assert (attempt.status, attempt.step, attempt.captured_amount) == (
        AttemptStatus.SUCCEEDED, AttemptStep.DONE, Decimal("12.00"),
    )  # fmt: skip
    assert order.captured_amount == Decimal("12.00")
    assert order.status in (OrderStatus.PAID, OrderStatus.COMPLETED)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.DEBT).exists()
    # Paid: a second collect does nothing and calls nobody.
    calls = len(fake_payments.calls)
    assert collect(order, trigger=AttemptTrigger.AUTO) is None
    assert len(fake_payments.calls) == calls


def test_an_approval_for_less_captures_what_was_authorized_and_owes_the_rest(order, fake_payments):
    fake_payments.approve("7.50")
    attempt = collect(order)
    assert ("capture", Decimal("7.50")) in fake_payments.calls
    assert attempt.captured_amount == Decimal("7.50")
    assert order.store_credit_amount == Decimal("4.50")
    debt = LedgerEntry.objects.get(kind=LedgerKind.DEBT)
    assert debt.amount == Decimal("12.00")
    payment = LedgerEntry.objects.get(kind=LedgerKind.PAYMENT)
    assert payment.amount == Decimal("-7.50")


def test_a_decline_books_the_debt_and_schedules_the_first_retry(order, fake_payments):
    fake_payments.answer("DECLINED")
    attempt = collect(order)
    assert fake_payments.operations()[0] == "adjust" and "capture" not in fake_payments.operations()
    assert attempt.status == AttemptStatus.DECLINED
    assert order.status == OrderStatus.ERROR
    assert order.next_action == NextAction.PAY
    assert LedgerEntry.objects.get(kind=LedgerKind.DEBT).amount == Decimal("12.00")
    assert order.next_action_at >= order.created_at + timedelta(minutes=15)
    assert "Card declined" in order.error_message


def test_pending_asks_again_later_for_the_same_amount(order, fake_payments):
    fake_payments.answer("PENDING")
    first = collect(order)
    assert first.status == AttemptStatus.PENDING
    assert order.status == OrderStatus.PRICED and order.next_action == NextAction.PAY
    fake_payments.approve("12.00")
    later = timezone.now() + timedelta(minutes=3)
    second = collect(order, trigger=AttemptTrigger.AUTO, now=later)
    assert second.status == AttemptStatus.SUCCEEDED
    adjusts = [amount for name, amount in fake_payments.calls if name == "adjust"]
    assert adjusts == [Decimal("12.00"), Decimal("12.00")]
    assert second.retry_no == first.retry_no


def test_an_unknown_adjust_status_is_a_refusal_not_retried(order, fake_payments):
    fake_payments.answer("MAYBE")
    attempt = collect(order)
    assert attempt.status == AttemptStatus.REJECTED
    assert order.status == OrderStatus.ERROR and order.next_action == NextAction.NONE
    assert "unknown status 'MAYBE'" in order.error_message


def test_amazon_refusing_adjust_ends_the_schedule_with_its_message(order, fake_payments):
    fake_payments.queue(
        "adjust",
        AmazonRejectedError("400", operation="AdjustCharge", http_status=400, error_msg="bad trip"),
    )
    attempt = collect(order)
    assert attempt.status == AttemptStatus.REJECTED
    assert order.next_action == NextAction.NONE
    assert "Amazon refused AdjustCharge: bad trip" in order.error_message
    assert "fix the cause, then Retry" in order.error_message


def test_a_transient_adjust_failure_keeps_the_attempt_open_and_resumes_it(order, fake_payments):
    fake_payments.queue("adjust", AmazonTransientError("503", retry_after=42))
    now = timezone.now()
    attempt = collect(order, now=now)
    assert (attempt.status, attempt.step, attempt.lease_until) == (
        AttemptStatus.STARTED, AttemptStep.ADJUST_SENT, None,
    )  # fmt: skip
    assert order.status == OrderStatus.ERROR and order.next_action == NextAction.RESUME
    assert order.next_action_at == now + timedelta(seconds=42)
    fake_payments.approve("12.00")
    resumed = collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(seconds=43))
    assert resumed.pk == attempt.pk and resumed.status == AttemptStatus.SUCCEEDED
    assert fake_payments.operations().count("capture") == 1


def test_a_lost_capture_answer_is_read_before_anything_is_sent_again(order, fake_payments):
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("read timeout"))
    now = timezone.now()
    attempt = collect(order, now=now)
    assert (attempt.status, attempt.step) == (AttemptStatus.STARTED, AttemptStep.CAPTURE_SENT)
    assert order.next_action == NextAction.RESOLVE
    # The read shows a settled capture: booked as paid, never captured twice.
    fake_payments.queue(
        "read", payments_api.TransactionalData(brand="VISA", reconciliation_id="rec-1")
    )
    resolved = collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert resolved.status == AttemptStatus.SUCCEEDED
    assert fake_payments.operations()[:3] == ["adjust", "capture", "read"]
    assert fake_payments.operations().count("capture") == 1
    assert order.captured_amount == Decimal("12.00")


def test_a_read_without_a_capture_sends_the_capture_again(order, fake_payments):
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    collect(order, now=now)
    fake_payments.queue("read", payments_api.TransactionalData(brand="VISA", tail="4242"))
    resolved = collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert resolved.status == AttemptStatus.SUCCEEDED
    assert fake_payments.operations().count("capture") == 2
    assert "capture sent again" in resolved.resolution


def test_an_empty_read_sends_the_order_to_review(order, fake_payments):
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    collect(order, now=now)
    collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert order.status == OrderStatus.REVIEW
    assert fake_payments.operations().count("capture") == 1


def test_a_refused_read_sends_the_order_to_review(order, fake_payments):
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    collect(order, now=now)
    fake_payments.queue("read", AmazonRejectedError("404", operation="GetTransactionalData"))
    collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert order.status == OrderStatus.REVIEW


def test_failing_reads_wait_then_give_up_to_review(order, fake_payments, settings):
    settings.JWO_RESOLVE_MAX_READS = 2
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    collect(order, now=now)
    fake_payments.queue("read", AmazonTransientError("503", retry_after=30))
    collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert order.next_action == NextAction.RESOLVE and order.status == OrderStatus.ERROR
    assert order.next_action_at == now + timedelta(minutes=5, seconds=30)
    fake_payments.queue("read", AmazonTransientError("503"))
    collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=6))
    assert order.status == OrderStatus.REVIEW


def test_a_running_attempt_refuses_a_second_one(order, fake_payments):
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    collect(order, now=now)
    fake_payments.queue("read", AmazonTransientError("503"))
    # A read holds the lease: a second resolve inside it is refused.
    from payments.models import PaymentAttempt

    PaymentAttempt.objects.filter(order=order).update(lease_until=now + timedelta(minutes=10))
    with pytest.raises(PaymentInProgress):
        payment_collect(order_id=order.pk, trigger=AttemptTrigger.AUTO, now=now)


def test_a_zero_total_cancels_the_preauth_and_captures_nothing(db, fake_payments):
    empty = OrderFactory(total="0.00", lines=0)
    attempt = collect(empty)
    assert fake_payments.operations() == ["cancel"]
    assert attempt.status == AttemptStatus.SUCCEEDED and empty.captured_amount == 0


def test_staff_retry_is_refused_for_an_order_not_in_error(order, fake_payments):
    with pytest.raises(RetryNotAllowed, match="Only orders in error"):
        payment_collect(order_id=order.pk, trigger=AttemptTrigger.MANUAL)
    assert fake_payments.calls == []


def test_staff_retry_after_a_decline_asks_for_the_full_total(order, fake_payments):
    fake_payments.answer("DECLINED")
    now = timezone.now()
    collect(order, now=now)
    with pytest.raises(RetryNotAllowed, match="less than 5 minutes"):
        payment_collect(order_id=order.pk, trigger=AttemptTrigger.MANUAL, now=now)
    fake_payments.approve("12.00")
    attempt = collect(order, trigger=AttemptTrigger.MANUAL, now=now + timedelta(minutes=6))
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert [a for n, a in fake_payments.calls if n == "adjust"] == [Decimal("12.00")] * 2
    assert LedgerEntry.objects.get(kind=LedgerKind.PAYMENT).amount == Decimal("-12.00")


# --- Payment outcome unknown: what staff decide (payments/review.py) ---------------------------


@pytest.fixture
def in_review(order, fake_payments):
    """An order whose capture answer was lost and whose read could not tell: REVIEW."""
    fake_payments.approve("12.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now() - timedelta(minutes=10)
    collect(order, now=now)
    collect(order, trigger=AttemptTrigger.AUTO, now=now + timedelta(minutes=5))
    assert order.status == OrderStatus.REVIEW
    return order


def test_staff_who_find_the_capture_book_it_without_sending_anything(in_review, fake_payments):
    from payments.services import payment_review_captured

    calls = list(fake_payments.calls)
    attempt = payment_review_captured(order_id=in_review.pk, actor=None, note="seen in portal")
    in_review.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert attempt.resolution == "staff: Amazon captured it. seen in portal"
    assert in_review.captured_amount == Decimal("12.00")
    assert fake_payments.calls[: len(calls)] == calls
    assert "capture" not in fake_payments.operations()[len(calls) :]


def test_capture_again_needs_the_confirmation_and_then_sends_once(in_review, fake_payments):
    from payments.services import ReviewNotAllowed, payment_review_capture_again

    with pytest.raises(ReviewNotAllowed, match="Confirm that you checked"):
        payment_review_capture_again(order_id=in_review.pk, actor=None, confirmed=False)
    assert fake_payments.operations().count("capture") == 1
    attempt = payment_review_capture_again(order_id=in_review.pk, actor=None, confirmed=True)
    in_review.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert fake_payments.operations().count("capture") == 2
    # Decided: a second decision is refused.
    with pytest.raises(ReviewNotAllowed, match="does not need a review"):
        payment_review_capture_again(order_id=in_review.pk, actor=None, confirmed=True)


def test_a_capture_again_that_is_lost_too_is_read_first_again(in_review, fake_payments):
    from payments.services import payment_review_capture_again

    fake_payments.queue("capture", AmazonTransientError("reset again"))
    attempt = payment_review_capture_again(order_id=in_review.pk, actor=None, confirmed=True)
    in_review.refresh_from_db()
    assert (attempt.status, attempt.step) == (AttemptStatus.STARTED, AttemptStep.CAPTURE_SENT)
    assert in_review.status == OrderStatus.ERROR and in_review.next_action == NextAction.RESOLVE


def test_a_review_decision_needs_an_order_in_review(order, fake_payments):
    from payments.services import ReviewNotAllowed, payment_review_captured

    with pytest.raises(ReviewNotAllowed):
        payment_review_captured(order_id=order.pk, actor=None)
