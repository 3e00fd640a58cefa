"""End to end over real HTTP and moto's S3 + SQS: shoppers walk through the gate simulator, the
sandbox writes Amazon's intra-day files (with every injection of the issue) and posts its
events, the console consumes the notifications, downloads each file once, processes the events,
and the day's reconciliation finds exactly the injected discrepancies."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from feeds.intraday import intraday_bucket_list, intraday_notifications_consume
from feeds.models import AmazonOrder, EventStatus, FeedEvent, FileVia, IntradayFile, StoreContact
from orders.models import Order, ShoppingTrip, TaxRate
from reconciliation.models import MismatchKind, RunTrigger
from reconciliation.services import reconciliation_run
from sandbox.models import CardProfile, SandboxCatalogItem, SandboxStore, SandboxTrip
from sandbox.reporting import reporting_publish
from sandbox.simulator import GateSimulator, SimulationConfig
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

pytestmark = pytest.mark.django_db(transaction=True)
STORE = "jwo-report-shop"


@pytest.fixture
def shop(sandbox, sqs_server, settings):
    settings.JWO_PAYMENT_ON_PRICED = True
    settings.JWO_INTRADAY_S3_ENDPOINT_URL = sqs_server
    settings.JWO_REPORTING_SQS_ENDPOINT_URL = sqs_server
    settings.JWO_INTRADAY_S3_BUCKET = settings.SANDBOX_INTRADAY_BUCKET
    settings.JWO_INTRADAY_SQS_QUEUE_NAME = settings.SANDBOX_INTRADAY_QUEUE_NAME
    settings.JWO_SANDBOX_CONNECTOR_URL = sandbox.url
    mapping = JwoStoreMappingFactory(
        jwo_store_id=STORE, fa_strategy="RETAILER_MANAGED", store__time_zone="UTC"
    )
    StoreContact.objects.create(store=mapping.store, email="ops@shop.example")
    SandboxStore.objects.get_or_create(store_id=STORE)
    TaxRate.objects.create(store=mapping.store, tax_code="", rate=Decimal("0.07"))
    items = []
    for price in ("2.50", "4.00"):
        item = ItemFactory()
        entitle(mapping.store, item, price=price)
        SandboxCatalogItem.objects.create(
            store_id=STORE, item_sku=item.sku, item_name=item.name,
            external_product_id=item.barcode, standard_price=price,
        )  # fmt: skip
        items.append(item)
    sim = GateSimulator(
        SimulationConfig(
            connector_url=sandbox.url, connector_secret="test-connector-secret",
            store_id=STORE, retailer_fa=True, group_rate=0, loyalty_rate=0,
        )
    )  # fmt: skip
    return mapping.store, items, sim


def cart(items, quantities):
    return [
        {"id": item.sku, "type": "SKU", "quantity": {"value": f"{qty}.0", "unit": "unit"},
         "externalIdentifiers": [{"id": item.barcode, "type": "UPC"}], "lineItemId": f"L{n}"}
        for n, (item, qty) in enumerate(zip(items, quantities, strict=True), start=1) if qty
    ]  # fmt: skip


def test_a_reported_day_reconciles_to_exactly_the_injected_discrepancies(shop):
    store, items, sim = shop
    trips = [
        sim.run_trip(n, entry="CARD", card_profile=CardProfile.OK, cart=cart(items, [n, 1]))
        for n in range(1, 6)
    ]
    declined = sim.run_trip(
        9, entry="CARD", card_profile=CardProfile.DECLINE, cart=cart(items, [1, 0])
    )
    late = sim.run_trip(7, entry="CARD", card_profile=CardProfile.OK, cart=cart(items, [1, 0]))
    assert all(t.purchase_status == 201 for t in [*trips, declined, late])
    yesterday = timezone.now() - timedelta(days=1)
    SandboxTrip.objects.filter(trip_id=late.trip_id).update(created_at=yesterday)
    ShoppingTrip.objects.filter(trip_id=late.trip_id).update(ended_at=yesterday)

    result = reporting_publish(
        since=timezone.now() - timedelta(hours=1),
        until=timezone.now() + timedelta(seconds=1),
        inject={"missing_trip", "amount_mismatch", "duplicate_file", "spanning", "late_order",
                "extra_trip", "test_event", "malformed_row"},
    )  # fmt: skip
    assert len(result["files"]) == 3  # the file, the spanning order's second file, the copy
    assert intraday_notifications_consume() == 3
    assert intraday_notifications_consume() == 0  # nothing twice
    assert intraday_bucket_list() == 0  # the fallback listing finds every object stored

    files = IntradayFile.objects.all()
    assert {f.received_via for f in files} == {FileVia.NOTIFICATION}
    main = files.get(key=result["files"][0])
    assert main.rows_bad == 1  # the malformed row, reported by its row number
    assert "ordered_at" in main.row_errors.get().message
    spanning = SandboxTrip.objects.get(trip_id=result["spanning_trip"])
    spread = AmazonOrder.objects.get(trip_id=spanning.trip_id)
    assert spread.lines.count() == len(spanning.cart)  # its lines came in two files
    second_file = files.get(key=result["files"][1])
    assert second_file.pk in {line.file_id for line in spread.lines.all()}

    events = FeedEvent.objects.all()
    assert events.filter(status=EventStatus.TEST).count() == 1
    assert events.filter(status=EventStatus.FAILED).count() == 0
    assert events.filter(subtype="CaptureApproved").count() == 6  # five trips and the late one
    assert events.get(subtype="AuthorizationDeclined").trip_id == declined.trip_id
    assert [m.to for m in mail.outbox if "Payment declined" in m.subject] == [["ops@shop.example"]]
    # The same events again (at least once): nothing new.
    again = reporting_publish(
        since=timezone.now() - timedelta(hours=1), until=timezone.now() + timedelta(seconds=1)
    )
    assert FeedEvent.objects.count() == events.count() and again["events"] > 0

    today = reconciliation_run(store=store, day=timezone.now().date(), trigger=RunTrigger.MANUAL)
    found = {(i.kind, i.trip_id) for i in today.items.all()}
    assert found == {
        (MismatchKind.MISSING_AT_AMAZON, result["skipped_trip"]),
        (MismatchKind.TOTAL, result["amount_mismatch_trip"]),
        (MismatchKind.MISSING_HERE, result["extra_trip"]),
    }
    assert today.matched == 4  # four paid trips and the declined one, less the amount mismatch
    earlier = reconciliation_run(store=store, day=yesterday.date(), trigger=RunTrigger.MANUAL)
    assert (earlier.ours, earlier.matched, earlier.mismatches) == (1, 1, 0)  # the late order
    assert Order.objects.get(trip__trip_id=declined.trip_id).status == "ERROR"


@pytest.mark.django_db
def test_the_bucket_listing_loads_what_no_notification_announced(sqs_server, settings):
    from feeds import aws
    from tests.feeds.helpers import csv_text, row

    settings.JWO_INTRADAY_S3_ENDPOINT_URL = sqs_server
    settings.JWO_INTRADAY_S3_BUCKET = "amzn-reports"
    settings.JWO_INTRADAY_S3_PREFIX = "intraday/"
    JwoStoreMappingFactory(jwo_store_id="jwo-a")
    s3 = aws.s3_client()
    s3.create_bucket(Bucket="amzn-reports")
    s3.put_object(Bucket="amzn-reports", Key="intraday/f1.csv", Body=csv_text([row("t1")]))
    s3.put_object(Bucket="amzn-reports", Key="other/ignored.csv", Body=b"x")
    assert intraday_bucket_list() == 1
    file = IntradayFile.objects.get()
    assert (file.key, file.received_via, file.rows_loaded) == ("intraday/f1.csv", "LISTING", 1)
    assert intraday_bucket_list() == 0  # listed again: nothing downloaded twice
    # the object rewritten (a new ETag) is a new file; its rows win over the old ones
    s3.put_object(
        Bucket="amzn-reports", Key="intraday/f1.csv", Body=csv_text([row("t1", total="5.00")])
    )
    assert intraday_bucket_list() == 1
    assert AmazonOrder.objects.get(trip_id="t1").total == Decimal("5.00")


@pytest.mark.django_db
def test_the_event_feed_from_an_sqs_queue(sqs_server, settings, django_capture_on_commit_callbacks):
    import json

    from feeds import aws
    from feeds.events import feed_events_consume

    settings.JWO_REPORTING_SQS_ENDPOINT_URL = sqs_server
    settings.JWO_EVENT_SQS_QUEUE_NAME = "jwo-events"
    JwoStoreMappingFactory(jwo_store_id="jwo-a")
    sqs = aws.sqs_client()
    url = sqs.create_queue(QueueName="jwo-events")["QueueUrl"]
    event = {"id": "q-1", "detail-type": "JWO Payment Event",
             "detail": {"storeId": "jwo-a", "shoppingTripId": "t1", "status": "CaptureApproved",
                        "amount": 3}}  # fmt: skip
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))  # at least once
    wrapped = {"Type": "Notification", "Message": json.dumps({**event, "id": "q-2"})}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(wrapped))  # through SNS
    sqs.send_message(QueueUrl=url, MessageBody="not an event")
    with django_capture_on_commit_callbacks(execute=True):
        assert feed_events_consume() == 2
    assert dict(FeedEvent.objects.values_list("event_id", "status").exclude(event_id=None)) == {
        "q-1": EventStatus.PROCESSED,
        "q-2": EventStatus.PROCESSED,
    }
    assert FeedEvent.objects.filter(status=EventStatus.REJECTED, received_via="SQS").count() == 1
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
