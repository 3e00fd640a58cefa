"""The sandbox that plays Amazon (installed in local and test settings, never in production)."""

import uuid
from decimal import Decimal

import factory


class SandboxStoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxStore"
        django_get_or_create = ("store_id",)

    store_id = factory.Sequence(lambda n: f"jwo-store-{n}")


class SandboxTripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxTrip"

    store_id = "jwo-store-1"
    trip_id = factory.LazyFunction(lambda: f"test-ok-{uuid.uuid4().hex[:8]}")


class SandboxRefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxRefund"

    trip = factory.SubFactory(SandboxTripFactory)
    refund_request_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    amount = Decimal("1.00")
    reason_code = "DAMAGED_ITEM"
    reconciliation_id = factory.LazyFunction(lambda: uuid.uuid4().hex)


class SandboxCheckoutOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxCheckoutOrder"

    trip_id = factory.LazyFunction(lambda: f"test-ok-{uuid.uuid4().hex[:8]}")
    store_id = "jwo-store-1"
    order_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    payload_hash = factory.LazyFunction(lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    price_total = Decimal("10.00")
    payload = factory.LazyFunction(dict)


class SandboxPaymentReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxPaymentReport"

    trip = factory.SubFactory(SandboxTripFactory)
    total_amount = Decimal("10.00")
    settled_amount = Decimal("10.00")
    currency = "USD"
    payment_status_time = 1_764_000_000_000


class SandboxCatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxCatalogItem"

    store_id = "jwo-store-1"
    item_sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    item_name = factory.Sequence(lambda n: f"Item {n}")
    external_product_id = factory.Sequence(lambda n: f"{n:012d}")


class SandboxCatalogUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxCatalogUpload"

    ingestion_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    kind = "UPLOAD"
    item_count = 1
    report = factory.LazyFunction(dict)


class SandboxCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxCall"

    service = "payments"
    operation = "CaptureCharge"
    path = "/sandbox/payments/v1/capture"


class SandboxFaultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxFault"

    kind = "500"
    remaining = 1


class SandboxPaymentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxPaymentSession"

    session_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    idempotency_key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    reference = factory.Sequence(lambda n: f"payoff:{n}")
    amount = Decimal("10.00")
    currency = "USD"
    return_url = "http://127.0.0.1:8000/portal/payoff/return/"
    cancel_url = "http://127.0.0.1:8000/portal/payoff/cancel/"


class SandboxEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sandbox.SandboxEmail"

    to = "shopper@shoppers.example"
