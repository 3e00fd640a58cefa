"""Payment attempts, tenders, receipts, refunds, portal payoffs and F&A status reports."""

import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from payments.choices import AttemptStatus, AttemptTrigger, RefundReason, TenderKind
from stores.choices import PaymentMode

from .orders import OrderFactory


class PaymentAttemptFactory(factory.django.DjangoModelFactory):
    """A finished attempt by default (at most one attempt per order may be STARTED)."""

    class Meta:
        model = "payments.PaymentAttempt"

    order = factory.SubFactory(OrderFactory)
    attempt_no = factory.Sequence(lambda n: n + 1)
    idempotency_key = factory.LazyFunction(lambda: f"test-{uuid.uuid4()}")
    trigger = AttemptTrigger.INITIAL
    service = PaymentMode.PAYMENT_SERVICE
    status = AttemptStatus.DECLINED
    requested_amount = factory.SelfAttribute("order.total")
    currency = factory.SelfAttribute("order.currency")


class TenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payments.Tender"

    order = factory.SubFactory(OrderFactory)
    kind = TenderKind.CARD
    amount = factory.SelfAttribute("order.total")
    currency = "USD"
    reference = factory.LazyAttribute(lambda o: f"tender:{o.order.pk}:{uuid.uuid4().hex[:8]}")


class PaymentReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payments.PaymentReceipt"

    order = factory.SubFactory(OrderFactory)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payments.Refund"

    order = factory.SubFactory(OrderFactory)
    refund_request_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    amount = Decimal("1.00")
    currency = "USD"
    reason_code = RefundReason.DAMAGED_ITEM


class PayoffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payments.Payoff"

    party = factory.Sequence(lambda n: f"card:test-card-{n}")
    amount = Decimal("10.00")
    currency = "USD"


class PaymentStatusReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payments.PaymentStatusReport"

    order = factory.SubFactory(OrderFactory)
    reference = factory.LazyAttribute(lambda o: f"report:{o.order.pk}:{uuid.uuid4().hex[:8]}")
    total_amount = factory.SelfAttribute("order.total")
    settled_amount = factory.SelfAttribute("order.total")
    currency = "USD"
    status_time = factory.LazyFunction(timezone.now)
