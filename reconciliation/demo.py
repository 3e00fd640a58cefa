"""A reconciled demo for ``make run``: two days of the demo store's JWO orders, Amazon's
intra-day files of them loaded through the real loader, a few events through the real feed
processing, and both days reconciled — the day before yesterday clean, yesterday with two
discrepancies (a trip Amazon's file lacks, an amount Amazon reports differently). Idempotent:
a second run changes nothing. The sandbox adds files and events every 30 s from live trips."""

import csv
import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from feeds.events import feed_event_process
from feeds.intraday import intraday_file_load
from feeds.models import FeedEvent, FileVia, IntradayFile, StoreContact
from orders.models import Order, ShoppingTrip
from orders.services import purchase_id_for
from stores.models import JwoStoreMapping

from .models import RunTrigger
from .services import reconciliation_run, store_today

HEADERS = ["order_id", "store_id", "order_time", "order_status", "currency", "order_total",
           "captured_amount", "refunded_amount", "line_id", "sku", "quantity", "line_amount",
           "line_tax", "settlement_batch"]  # fmt: skip
TRIPS_A_DAY = 24


def _trip_rows(day, store, jwo_id: str) -> list[tuple]:
    """(trip id, ended at, status, total, captured) of one demo day."""
    rows = []
    for n in range(TRIPS_A_DAY):
        ended = datetime.combine(day, time(8), tzinfo=store.zone) + timedelta(minutes=37 * n)
        total = Decimal("3.49") + Decimal(n % 5) * Decimal("2.25")
        if n in (5, 17):
            rows.append((f"demo-{day:%m%d}-{n:02d}", ended, "ERROR", total, Decimal(0)))
        elif n == 11:
            rows.append((f"demo-{day:%m%d}-{n:02d}", ended, "COMPLETED", Decimal(0), Decimal(0)))
        else:
            rows.append((f"demo-{day:%m%d}-{n:02d}", ended, "COMPLETED", total, total))
    return rows


def _amazon_status(status: str, total: Decimal, captured: Decimal) -> str:
    if captured > 0:
        return "CAPTURED"
    return "DECLINED" if status == "ERROR" else "CANCELLED"


def seed_demo_reconciliation(*, jwo_store_id: str = "jwo-demo-store-1") -> list:
    mapping = JwoStoreMapping.objects.select_related("store").filter(jwo_store_id=jwo_store_id)
    mapping = mapping.first()
    if mapping is None:
        return []
    store = mapping.store
    StoreContact.objects.get_or_create(
        store=store, email="store-manager@demo.example", defaults={"name": "Store manager"}
    )
    today = store_today(store=store)
    runs = []
    for back, clean in ((2, True), (1, False)):
        day = today - timedelta(days=back)
        key = f"demo/{jwo_store_id}/{day:%Y/%m/%d}/intraday-demo.csv"
        if IntradayFile.objects.filter(key=key).exists():
            continue
        trips = _trip_rows(day, store, jwo_store_id)
        with transaction.atomic():
            for trip_id, ended, status, total, captured in trips:
                trip, _ = ShoppingTrip.objects.get_or_create(
                    jwo_store_id=jwo_store_id, trip_id=trip_id,
                    defaults={"store": store, "started_at": ended - timedelta(minutes=6),
                              "ended_at": ended, "entry_method": "CARD"},
                )  # fmt: skip
                order, made = Order.objects.get_or_create(
                    trip=trip,
                    defaults={"store": store, "status": status, "delegation_mode": "ORDER",
                              "currency": store.currency, "sub_total": total, "total": total,
                              "captured_amount": captured, "priced_at": ended,
                              "error_stage": "PAYMENT" if status == "ERROR" else "",
                              "error_message": "Card declined (demo)" if status == "ERROR" else ""},
                )  # fmt: skip
                if made:  # an order of that day, numbered like every other
                    Order.objects.filter(pk=order.pk).update(
                        purchase_id=purchase_id_for(order.trip),
                        created_at=ended,
                        completed_at=ended if status == "COMPLETED" else None,
                    )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        for n, (trip_id, ended, status, total, captured) in enumerate(trips):
            if not clean and n == 3:
                continue  # missing at Amazon
            reported = total + Decimal("1.00") if not clean and n == 8 else total
            writer.writerow(
                [trip_id, jwo_store_id, ended.isoformat(), _amazon_status(status, total, captured),
                 store.currency, reported, captured, "0.00", "1", "DEMO-SKU", "1", reported,
                 "0.00", f"B{day:%Y%m%d}"]
            )  # fmt: skip
        file = IntradayFile.objects.create(
            bucket="demo", key=key, etag=f"demo-{day:%Y%m%d}",
            last_modified=datetime.combine(day, time(23, 45), tzinfo=store.zone),
            received_via=FileVia.MANUAL, content=buffer.getvalue(),
        )  # fmt: skip
        intraday_file_load(file=file)
        for trip_id, _, _status, total, captured in trips[:6]:
            subtype = "CaptureApproved" if captured > 0 else "AuthorizationDeclined"
            event = FeedEvent.objects.create(
                event_id=f"demo-{trip_id}-{subtype}", source="aws.justwalkout",
                detail_type="JWO Payment Event",
                raw=json.dumps({"id": f"demo-{trip_id}-{subtype}", "detail-type":
                                "JWO Payment Event", "detail": {
                                    "storeId": jwo_store_id, "shoppingTripId": trip_id,
                                    "status": subtype, "amount": {"amount": str(total),
                                                                   "currencyCode": "USD"}}}),
            )  # fmt: skip
            FeedEvent.objects.filter(pk=event.pk).update(notified_at=event.created_at)  # quiet
            event.refresh_from_db()
            feed_event_process(event=event)
        runs.append(reconciliation_run(store=store, day=day, trigger=RunTrigger.SCHEDULE))
    return runs
