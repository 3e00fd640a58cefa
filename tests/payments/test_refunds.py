"""Refunds through the Payment Service: stored before the call, idempotent, bounded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import Refund
from payments.services import (
    RefundNotAllowed,
    payment_take,
    refund_approve,
    refund_reject,
    refund_request,
    refund_send,
)
from sandbox.models import SandboxFault, SandboxRefund
from tests.factories import OrderFactory

from .conftest import sandbox_trip


@pytest.fixture
def paid(mapping):
    order = OrderFactory(mapping=mapping, total="20.00")
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.captured_amount == Decimal("20.00")
    return order


def test_a_refund_is_sent_with_its_lowercase_uuid_and_recorded(paid, staff):
    refund = refund_request(order=paid, amount=Decimal("4.50"), reason_code="DAMAGED_ITEM")
    assert refund.refund_request_id == refund.refund_request_id.lower()
    done = refund_approve(refund=refund, actor=staff)
    paid.refresh_from_db()
    assert (done.status, paid.refunded_amount) == ("REFUNDED", Decimal("4.50"))
    assert done.reconciliation_id.startswith("RCN")
    amazon = SandboxRefund.objects.get()
    assert (amazon.refund_request_id, amazon.amount) == (done.refund_request_id, Decimal("4.50"))
    assert sandbox_trip(paid).refunded_amount == Decimal("4.50")


def test_never_more_than_captured_minus_refunded(paid):
    refund_approve(
        refund=refund_request(order=paid, amount=Decimal("15.00"), reason_code="OTHER"), actor=None
    )
    with pytest.raises(RefundNotAllowed, match=r"At most 5\.00 USD"):
        refund_request(order=paid, amount=Decimal("5.01"), reason_code="OTHER")
    # A request on its way counts too: two requests cannot together pass the captured amount.
    refund_request(order=paid, amount=Decimal("3.00"), reason_code="OTHER")
    with pytest.raises(RefundNotAllowed, match=r"At most 2\.00 USD"):
        refund_request(order=paid, amount=Decimal("2.50"), reason_code="OTHER")


def test_the_refund_window(paid, settings):
    settings.JWO_REFUND_WINDOW_DAYS = 7
    late = timezone.now() + timedelta(days=7, minutes=1)
    with pytest.raises(RefundNotAllowed, match="refund window of 7 days closed"):
        refund_request(order=paid, amount=Decimal("1.00"), reason_code="OTHER", now=late)


def test_an_unanswered_refund_is_resent_with_the_same_id_and_refunds_once(paid):
    SandboxFault.objects.create(service="payments", operation="Refund", kind="503", remaining=10)
    refund = refund_request(order=paid, amount=Decimal("2.00"), reason_code="UNWANTED_ITEM")
    pending = refund_approve(refund=refund, actor=None)
    assert pending.status == "APPROVED" and pending.error
    SandboxFault.objects.all().delete()
    done = refund_send(refund_id=refund.pk)
    again = refund_send(refund_id=refund.pk)
    paid.refresh_from_db()
    assert (done.status, again.status, paid.refunded_amount) == (
        "REFUNDED",
        "REFUNDED",
        Decimal("2.00"),
    )
    assert SandboxRefund.objects.count() == 1


def test_rejecting_needs_a_reason_and_frees_the_amount(paid, staff):
    refund = refund_request(order=paid, amount=Decimal("20.00"), reason_code="OTHER")
    with pytest.raises(RefundNotAllowed, match="Say why"):
        refund_reject(refund=refund, actor=staff, reason=" ")
    refund_reject(refund=refund, actor=staff, reason="Item was not returned")
    assert Refund.objects.get().status == "REJECTED"
    refund_request(order=paid, amount=Decimal("20.00"), reason_code="OTHER")


def test_checkout_service_stores_refund_through_amazon(mapping):
    mapping.payment_mode = "CHECKOUT_SERVICE"
    mapping.save()
    order = OrderFactory(mapping=mapping, total="3.00")
    payment_take(order_id=order.pk)
    with pytest.raises(RefundNotAllowed, match="Amazon handles its refunds"):
        refund_request(order=order, amount=Decimal("1.00"), reason_code="OTHER")


@pytest.mark.django_db(transaction=True)
def test_approvals_pressed_at_once_send_the_refund_once(mapping, monkeypatch):
    import threading

    from django.db import connection

    from integrations.amazon.payments import PaymentsClient

    sends: list[str] = []
    real_refund = PaymentsClient.refund

    def counted(self, trip, amount, **kwargs):
        sends.append(kwargs["refund_request_id"])
        return real_refund(self, trip, amount, **kwargs)

    monkeypatch.setattr(PaymentsClient, "refund", counted)

    from payments.models import Refund
    from payments.services import refund_approve, refund_request
    from sandbox.models import SandboxCall

    order = OrderFactory(mapping=mapping, total="14.60")
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    refund = refund_request(order=order, amount=Decimal("14.60"), reason_code="OTHER")
    barrier = threading.Barrier(6)

    def press() -> None:
        try:
            barrier.wait()
            refund_approve(refund=Refund.objects.get(pk=refund.pk), actor=None)
        except Exception:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "REFUNDED" and order.refunded_amount == Decimal("14.60")
    assert sends == [refund.refund_request_id]  # one send left the console
    received = SandboxCall.objects.filter(
        operation="Refund", body__contains=refund.refund_request_id
    )
    assert received.count() >= 1
