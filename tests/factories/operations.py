"""Everything around the money path: alerts, stock, the connector's records, the portal's
sign-in links and e-mails, Amazon's reporting (feeds), reconciliation, the dashboard's rollup,
the worker heartbeat and the Amazon call log."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from alerts.choices import AlertEventAction, AlertKind
from stock.choices import MovementKind

from .catalog import StoreItemFactory
from .stores import StoreFactory


class WorkerHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "jwo_console.WorkerHeartbeat"
        django_get_or_create = ("worker",)

    worker = factory.Sequence(lambda n: f"celery@worker-{n}")
    last_seen_at = factory.LazyFunction(timezone.now)


class AlertThresholdsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ops.AlertThresholds"
        django_get_or_create = ("store",)

    store = factory.SubFactory(StoreFactory)


class BeatLeaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "jwo_console.BeatLease"

    name = factory.Sequence(lambda n: f"lease-{n}")
    holder = factory.Sequence(lambda n: f"host:{n}:beat")
    acquired_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(seconds=30))


class AmazonApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "jwo_console.AmazonApiCall"

    service = "payments"
    operation = "CaptureCharge"
    url = "https://payments.example/v1/capture"
    started_at = factory.LazyFunction(timezone.now)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alerts.Alert"

    kind = AlertKind.LOW_STOCK
    key = factory.Sequence(lambda n: f"alert-key-{n}")
    title = factory.Sequence(lambda n: f"Alert {n}")
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.SelfAttribute("first_seen_at")


class AlertEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alerts.AlertEvent"

    alert = factory.SubFactory(AlertFactory)
    action = AlertEventAction.OPENED


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stock.StockLevel"

    store_item = factory.SubFactory(StoreItemFactory)
    store = factory.SelfAttribute("store_item.store")


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stock.StockMovement"

    store_item = factory.SubFactory(StoreItemFactory)
    store = factory.SelfAttribute("store_item.store")
    kind = MovementKind.JWO_SALE
    quantity = Decimal("-1")
    on_hand_after = Decimal("0")


class StockImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stock.StockImport"

    store = factory.SubFactory(StoreFactory)
    file_name = "stock.csv"


class ConnectorRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "connector.ConnectorRequest"

    endpoint = "IDENTITY_KEYS"
    dedupe_key = factory.LazyFunction(lambda: str(uuid.uuid4()))


class ScanResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "connector.ScanResolution"

    jwo_store_id = "jwo-store-1"
    result_id = factory.Sequence(lambda n: f"result-{n}")
    result_type = "LOYALTY"
    provider = "YINZCAM"


class SignInLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.SignInLink"

    token_hash = factory.LazyFunction(lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    email = factory.Sequence(lambda n: f"shopper{n}@shoppers.example")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))


class ShopperEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.ShopperEmail"

    key = factory.Sequence(lambda n: f"receipt:{n}")
    to = factory.Sequence(lambda n: f"shopper{n}@shoppers.example")
    subject = "Your receipt"


class IntradayFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.IntradayFile"

    bucket = "jwo-intraday-reports"
    key = factory.Sequence(lambda n: f"reports/intraday-{n}.csv")
    etag = factory.LazyFunction(lambda: uuid.uuid4().hex)
    last_modified = factory.LazyFunction(timezone.now)
    received_via = "SQS"


class IntradayRowErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.IntradayRowError"

    file = factory.SubFactory(IntradayFileFactory)
    row_no = 2
    message = "order_total is not a number"


class IntradayColumnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.IntradayColumn"

    header = factory.Sequence(lambda n: f"Trip Ref {n}")
    field = "trip_id"


class AmazonOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.AmazonOrder"

    jwo_store_id = "jwo-store-1"
    trip_id = factory.Sequence(lambda n: f"test-ok-amazon{n:05d}")
    ordered_at = factory.LazyFunction(timezone.now)
    file_time = factory.SelfAttribute("ordered_at")


class AmazonOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.AmazonOrderLine"

    order = factory.SubFactory(AmazonOrderFactory)
    line_key = factory.Sequence(lambda n: f"L{n}")
    file_time = factory.SelfAttribute("order.file_time")


class FeedEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.FeedEvent"

    event_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    raw = "{}"


class StoreContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feeds.StoreContact"

    store = factory.SubFactory(StoreFactory)
    email = factory.Sequence(lambda n: f"contact{n}@store.example")


class ReconciliationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reconciliation.ReconciliationRun"

    store = factory.SubFactory(StoreFactory)
    day = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=1))
    trigger = "SCHEDULE"


class ReconciliationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reconciliation.ReconciliationItem"

    run = factory.SubFactory(ReconciliationRunFactory)
    kind = "MISSING_AT_AMAZON"
    trip_id = factory.Sequence(lambda n: f"test-ok-recon{n:05d}")


class OrderHourStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dashboard.OrderHourStats"

    store = factory.SubFactory(StoreFactory)
    hour = factory.LazyFunction(lambda: timezone.now().replace(minute=0, second=0, microsecond=0))
    status = "COMPLETED"
    retries = 0
    currency = "USD"
    orders = 1
    captured_orders = 1
    captured = Decimal("10.00")
    refunded = Decimal("0.00")


class OrderStatsWatermarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dashboard.OrderStatsWatermark"
        django_get_or_create = ("name",)

    name = "orders"
    until = factory.LazyFunction(timezone.now)


class ConnectivityRunFactory(factory.django.DjangoModelFactory):
    """A finished connectivity test of a store (Run test), one check that passed."""

    class Meta:
        model = "connectivity.ConnectivityRun"

    store = factory.SubFactory(StoreFactory)
    status = "PASSED"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    checks = factory.LazyFunction(
        lambda: [
            {
                "key": "amazon:catalog",
                "kind": "AMAZON",
                "name": "Catalog API (Sync Items)",
                "target": "http://127.0.0.1:8000/sandbox/catalog",
                "status": "OK",
                "http_status": 400,
                "detail": "GetCatalogUploadStatus: InvalidRequestException",
                "diagnosis": "Reachable, and the signature is accepted.",
                "duration_ms": 12,
            }
        ]
    )
