"""Amazon's data reporting, played from the sandbox's own state (read by feeds/intraday.py
and feeds/events.py): intra-day CSV files written to moto's S3 with an SNS-shaped S3
notification sent to
the retailer's SQS queue, and CART / PAYMENT events posted to the console's event feed as an
EventBridge API destination would (``X-JWO-Event-Key``).

Like Amazon's, each file rolls over the orders of the preceding hour, so one order appears in
several consecutive files; event ids are stable per trip and kind, so a trip's events are sent
again (at least once) and the console must dedupe. Discrepancies can be injected: a trip
missing from Amazon's side, an amount mismatch, a duplicate file, an order spanning two files, a
late order from an earlier day, a trip only Amazon has, a test event and a malformed row.

The sandbox imports nothing of the console's: it talks to it over HTTP and AWS APIs only."""

import csv
import io
import json
import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote_plus

import requests
from django.conf import settings
from django.utils import timezone

from .models import SandboxCall, SandboxCatalogItem, SandboxCheckoutOrder, SandboxTrip

logger = logging.getLogger(__name__)

HEADERS = [
    "order_id",
    "store_id",
    "order_time",
    "order_status",
    "currency",
    "order_total",
    "captured_amount",
    "refunded_amount",
    "line_id",
    "sku",
    "quantity",
    "line_amount",
    "line_tax",
    "settlement_batch",
]  # fmt: skip  (settlement_batch: a column the console's mapping does not know)
INJECTIONS = {
    "missing_trip": "a trip missing from Amazon's side",
    "amount_mismatch": "an amount mismatch (the order total + 1.00)",
    "duplicate_file": "the same file delivered twice (a second key)",
    "spanning": "an order's lines spread over two files",
    "late_order": "a late order from an earlier day",
    "extra_trip": "a trip only Amazon has",
    "test_event": "a test event",
    "malformed_row": "a malformed row",
}


def _aws(service: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=settings.SANDBOX_SQS_ENDPOINT_URL,
        region_name=settings.JWO_REGION,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        config=Config(s3={"addressing_style": "path"}),
    )


def _first_adjust_amounts(trip_ids: set[str], since: datetime) -> dict[str, Decimal]:
    """What the retailer first asked AdjustCharge for, per trip: Amazon's order total."""
    found: dict[str, Decimal] = {}
    calls = SandboxCall.objects.filter(
        operation="AdjustCharge", status=200, received_at__gte=since - timedelta(days=3)
    ).order_by("received_at")
    for body in calls.values_list("body", flat=True).iterator():
        try:
            data = json.loads(body)
            trip = data.get("shoppingTripId")
            if trip in trip_ids and trip not in found:
                found[trip] = Decimal(str(data["amount"]["amount"]))
        except (ValueError, KeyError, TypeError, ArithmeticError):
            continue
    return found


def _status(trip: SandboxTrip) -> str:
    if trip.captured_amount > 0:
        return "CAPTURED"
    if trip.cancelled:
        return "CANCELLED"
    if trip.last_adjust_status == "DECLINED":
        return "DECLINED"
    return "AUTHORIZED"


def trip_rows(trips: list[SandboxTrip], since: datetime) -> dict[str, list[dict]]:
    """Each trip's rows (one per cart line; a header-only row for an empty cart)."""
    totals = _first_adjust_amounts({t.trip_id for t in trips}, since)
    checkout = dict(
        SandboxCheckoutOrder.objects.filter(trip_id__in=[t.trip_id for t in trips]).values_list(
            "trip_id", "price_total"
        )
    )
    prices = {(i.store_id, i.item_sku): i.standard_price for i in SandboxCatalogItem.objects.all()}
    rows: dict[str, list[dict]] = {}
    for trip in trips:
        total = totals.get(trip.trip_id) or checkout.get(trip.trip_id)
        if total is None:
            total = trip.adjusted_amount if trip.adjusted_amount is not None else Decimal("0")
        order = {
            "order_id": trip.trip_id,
            "store_id": trip.store_id,
            "order_time": trip.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "order_status": _status(trip),
            "currency": trip.currency,
            "order_total": f"{total:.2f}",
            "captured_amount": f"{trip.captured_amount:.2f}",
            "refunded_amount": f"{trip.refunded_amount:.2f}",
            "settlement_batch": f"B{trip.created_at:%Y%m%d}",
        }
        lines = []
        for number, item in enumerate(trip.cart or [], start=1):
            sku = str(item.get("id", ""))
            qty = str(item.get("quantity", "1"))
            try:
                amount = Decimal(prices.get((trip.store_id, sku)) or "0") * Decimal(qty)
            except ArithmeticError:
                amount = Decimal("0")
            lines.append(
                {**order, "line_id": str(number), "sku": sku, "quantity": qty,
                 "line_amount": f"{amount:.2f}", "line_tax": "0.00"}
            )  # fmt: skip
        rows[trip.trip_id] = lines or [{**order, "line_id": "", "sku": "", "quantity": ""}]
    return rows


def _csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def _put_and_notify(s3, sqs, queue_url: str, key: str, body: bytes) -> None:
    bucket = settings.SANDBOX_INTRADAY_BUCKET
    s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms")
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": settings.JWO_REGION,
        "eventTime": timezone.now().isoformat(),
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key), "size": len(body)},
        },
    }
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": f"arn:aws:sns:{settings.JWO_REGION}:000000000000:jwo-intraday-reports",
        "Subject": "Amazon S3 Notification",
        "Message": json.dumps({"Records": [record]}),
        "Timestamp": timezone.now().isoformat(),
    }
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope))


def _events(trip: SandboxTrip, total: str) -> list[dict]:
    base = {"storeId": trip.store_id, "shoppingTripId": trip.trip_id}
    time = trip.created_at.isoformat()
    found = [
        {
            "id": f"sbx-{trip.trip_id}-cart",
            "detail-type": "JWO Cart Event",
            "detail": {
                **base,
                "cartItems": [
                    {"merchantSku": i.get("id"), "quantityValue": i.get("quantity")}
                    for i in trip.cart or []
                ],
            },
        }
    ]
    payment = {**base, "brand": trip.card_brand, "cardLastFourDigits": trip.card_tail}
    if trip.last_adjust_status == "DECLINED" and trip.captured_amount == 0:
        found.append(
            {"id": f"sbx-{trip.trip_id}-authorization-declined",
             "detail-type": "JWO Payment Event",
             "detail": {**payment, "status": "AuthorizationDeclined",
                        "amount": {"amount": total, "currencyCode": trip.currency}}}
        )  # fmt: skip
    if trip.captured_amount > 0:
        found.append(
            {"id": f"sbx-{trip.trip_id}-capture-approved",
             "detail-type": "JWO Payment Event",
             "detail": {**payment, "status": "CaptureApproved",
                        "amount": {"amount": f"{trip.captured_amount:.2f}",
                                   "currencyCode": trip.currency},
                        "reconciliationId": f"rec-{trip.trip_id}"}}
        )  # fmt: skip
    for event in found:
        event.update(
            {"version": "0", "source": "aws.justwalkout", "time": time,
             "account": "000000000000", "region": settings.JWO_REGION, "resources": []}
        )  # fmt: skip
    return found


def post_event(event: dict) -> int:
    url = f"{settings.JWO_SANDBOX_CONNECTOR_URL.rstrip('/')}/feeds/events"
    response = requests.post(
        url, json=event, headers={"X-JWO-Event-Key": settings.JWO_EVENT_FEED_KEY}, timeout=10
    )
    return response.status_code


def reported_trips(*, since: datetime, until: datetime) -> list[SandboxTrip]:
    """The trips Amazon's files report for a period: those that changed in it, less the ones
    refused at the gate (no shopping trip took place)."""
    return list(
        SandboxTrip.objects.filter(
            updated_at__gte=since, updated_at__lt=until, gate_refused=False
        ).order_by("created_at")
    )


def reporting_publish(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    inject: set[str] | frozenset[str] = frozenset(),
    post_events: bool = True,
) -> dict:
    """Write one file per store over [since, until) (the preceding hour by default), notify,
    and post the trips' events. Returns what was written and sent."""
    unknown = set(inject) - set(INJECTIONS)
    if unknown:
        raise ValueError(f"unknown injections: {', '.join(sorted(unknown))}")
    until = until or timezone.now()
    since = since or until - timedelta(hours=1)
    trips = reported_trips(since=since, until=until)
    if "late_order" in inject:
        day_start = until.replace(hour=0, minute=0, second=0, microsecond=0)
        late = (
            SandboxTrip.objects.filter(created_at__lt=day_start, gate_refused=False)
            .order_by("-created_at")
            .first()
        )
        if late is not None and late not in trips:
            trips.append(late)
    rows = trip_rows(trips, since)
    by_store: dict[str, list[str]] = defaultdict(list)
    for trip in trips:
        by_store[trip.store_id].append(trip.trip_id)
    s3, sqs = _aws("s3"), _aws("sqs")
    if settings.SANDBOX_INTRADAY_BUCKET not in {
        b["Name"] for b in s3.list_buckets().get("Buckets", [])
    }:
        s3.create_bucket(Bucket=settings.SANDBOX_INTRADAY_BUCKET)
    queue_url = sqs.create_queue(QueueName=settings.SANDBOX_INTRADAY_QUEUE_NAME)["QueueUrl"]
    result: dict = {"files": [], "events": 0, "skipped_trip": None, "injected": sorted(inject)}
    stamp = until.strftime("%Y%m%dT%H%M%S")
    late_ids = {t.trip_id for t in trips if t.created_at < since}
    for store_id, trip_ids in by_store.items():
        # The victims of the injections: trips of the window (not the late one), each once.
        victims = [t for t in trip_ids if t not in late_ids]
        if "missing_trip" in inject and victims:
            result["skipped_trip"] = victims.pop(0)
            trip_ids = [t for t in trip_ids if t != result["skipped_trip"]]
        file_rows = [row for t in trip_ids for row in rows[t]]
        if "amount_mismatch" in inject and victims:
            victim = victims.pop(0)
            for row in file_rows:
                if row["order_id"] == victim:
                    row["order_total"] = f"{Decimal(row['order_total']) + 1:.2f}"
            result["amount_mismatch_trip"] = victim
        if "extra_trip" in inject:
            phantom = f"sbx-only-{uuid.uuid4().hex[:10]}"
            file_rows.append(
                {"order_id": phantom, "store_id": store_id, "order_time": until.isoformat(),
                 "order_status": "CAPTURED", "currency": "USD", "order_total": "4.20",
                 "captured_amount": "4.20", "refunded_amount": "0.00", "line_id": "1",
                 "sku": "SKU-PHANTOM", "quantity": "1", "line_amount": "4.20",
                 "line_tax": "0.00"}
            )  # fmt: skip
            result["extra_trip"] = phantom
        second: list[dict] = []
        if "spanning" in inject and victims:
            target = victims[-1]
            own = [r for r in file_rows if r["order_id"] == target]
            keep = own[: max(1, len(own) // 2)]
            moved = [r for r in own if r not in keep]
            if not moved:  # one line: the order's header here, its line in the next file
                header = {**keep[0], "line_id": "", "sku": "", "quantity": "", "line_amount": ""}
                moved, keep = keep, [header]
            file_rows = [r for r in file_rows if r["order_id"] != target] + keep
            second = moved
            result["spanning_trip"] = target
        if "malformed_row" in inject:
            file_rows.append(
                {"order_id": "sbx-malformed", "store_id": store_id, "order_time": "",
                 "order_status": "CAPTURED", "order_total": "12,3x"}
            )  # fmt: skip
        prefix = f"intraday/{store_id}/{until:%Y/%m/%d}/{store_id}-{stamp}"
        body = _csv(file_rows)
        _put_and_notify(s3, sqs, queue_url, f"{prefix}.csv", body)
        result["files"].append(f"{prefix}.csv")
        if second:
            _put_and_notify(s3, sqs, queue_url, f"{prefix}-b.csv", _csv(second))
            result["files"].append(f"{prefix}-b.csv")
        if "duplicate_file" in inject:
            _put_and_notify(s3, sqs, queue_url, f"{prefix}-copy.csv", body)
            result["files"].append(f"{prefix}-copy.csv")
    if post_events:
        skipped = result["skipped_trip"]
        for trip in trips:
            if trip.trip_id == skipped:
                continue
            total = rows[trip.trip_id][0]["order_total"]
            for event in _events(trip, total):
                try:
                    post_event(event)
                    result["events"] += 1
                except requests.RequestException:
                    logger.warning("sandbox: event not delivered", extra={"event": event["id"]})
        if "test_event" in inject:
            event = {
                "version": "0", "id": f"sbx-test-{uuid.uuid4().hex[:12]}",
                "source": "aws.justwalkout", "detail-type": "JWO Payment Test Event",
                "time": until.isoformat(), "detail": {"isTest": True, "status": "CaptureApproved",
                "storeId": next(iter(by_store), "test-store"), "shoppingTripId": "test-event-trip",
                "amount": {"amount": "1.00", "currencyCode": "USD"}},
            }  # fmt: skip
            post_event(event)
            result["events"] += 1
            result["test_event"] = event["id"]
    logger.info("sandbox: reporting published", extra={"files": len(result["files"])})
    return result
