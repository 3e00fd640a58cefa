"""The sweep (payments/sweep.py): which orders it claims, that a stale claim does nothing, and
that each next action is carried out, against the fake Payment Service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonTransientError
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from payments.choices import AttemptStatus
from payments.services import order_advance, orders_due_claim
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pay_on_priced(settings):
    settings.JWO_PAYMENT_ON_PRICED = True


def test_only_due_orders_are_claimed_and_a_claim_moves_them_on(db):
    now = timezone.now()
    due = OrderFactory(age=timedelta(minutes=1))
    later = OrderFactory()
    Order.objects.filter(pk=later.pk).update(next_action_at=now + timedelta(hours=1))
    done = OrderFactory(status=OrderStatus.COMPLETED)
    claimed = orders_due_claim(now=now)
    assert [pk for pk, _ in claimed] == [due.pk]
    due.refresh_from_db()
    assert due.next_action_at > now  # claimed: the next sweep skips it until the claim lapses
    assert orders_due_claim(now=now) == []
    assert done.pk not in [pk for pk, _ in claimed]


def test_a_claimed_order_is_paid_once_and_a_stale_claim_does_nothing(db, fake_payments):
    order = OrderFactory(total="8.00", age=timedelta(minutes=1))
    [(pk, claim)] = orders_due_claim()
    fake_payments.approve("8.00")
    assert order_advance(order_id=pk, claim=claim) == NextAction.PAY
    order.refresh_from_db()
    assert order.captured_amount == Decimal("8.00")
    assert order_advance(order_id=pk, claim=claim) is None
    assert fake_payments.operations().count("capture") == 1


def test_without_payment_on_priced_a_new_order_waits(db, settings, fake_payments):
    settings.JWO_PAYMENT_ON_PRICED = False
    order = OrderFactory()
    assert order_advance(order_id=order.pk) is None
    assert fake_payments.calls == []


def test_resolve_and_receipt_actions_are_carried_out(db, fake_payments):
    order = OrderFactory(total="6.00")
    fake_payments.approve("6.00").queue("capture", AmazonTransientError("reset"))
    now = timezone.now()
    order_advance(order_id=order.pk, now=now)
    order.refresh_from_db()
    assert order.next_action == NextAction.RESOLVE
    fake_payments.queue(
        "read", payments_api.TransactionalData(brand="VISA", card_statement_transaction_id="s1")
    )
    assert order_advance(order_id=order.pk, now=now + timedelta(minutes=5)) == NextAction.RESOLVE
    order.refresh_from_db()
    assert order.payment_attempts.get().status == AttemptStatus.SUCCEEDED
    # Paid, then the receipt's data read at once: COMPLETED, nothing left to do.
    assert (order.status, order.next_action) == (OrderStatus.COMPLETED, NextAction.NONE)
    assert order.receipt is not None
    assert order_advance(order_id=order.pk) is None
    assert order_advance(order_id=order.pk + 10_000) is None


def test_a_late_task_from_create_purchases_does_not_jump_the_retry_schedule(db, fake_payments):
    order = OrderFactory(total="5.00")
    fake_payments.answer("DECLINED")
    assert order_advance(order_id=order.pk) == NextAction.PAY  # the first attempt: declined
    order.refresh_from_db()
    assert (order.status, order.next_action) == (OrderStatus.ERROR, NextAction.PAY)
    assert order.next_action_at > timezone.now()
    # The task CreatePurchases queued arrives now (no claim): the retry waits for its time.
    assert order_advance(order_id=order.pk) is None
    assert order.payment_attempts.count() == 1
    fake_payments.answer("DECLINED")
    later = order.next_action_at
    [(pk, claim)] = orders_due_claim(now=later)
    assert order_advance(order_id=pk, claim=claim, now=later) == NextAction.PAY
    assert order.payment_attempts.count() == 2
