"""Helpers for the reporting tests: intra-day CSV text in the sandbox's headers, a stored file
loaded as if downloaded, and our own orders (trip + order rows)."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from feeds.intraday import intraday_file_load
from feeds.models import FileVia, IntradayFile
from orders.models import Order, ShoppingTrip

HEADERS = [
    "order_id", "store_id", "order_time", "order_status", "currency", "order_total",
    "captured_amount", "refunded_amount", "line_id", "sku", "quantity", "line_amount",
    "line_tax", "settlement_batch",
]  # fmt: skip


def row(trip, store="jwo-a", *, when="2026-11-30T15:00:00Z", status="CAPTURED", total="9.99",
        captured="9.99", refunded="0.00", line="1", sku="SKU-1", qty="1", amount="9.99",
        **more):  # fmt: skip
    return {
        "order_id": trip, "store_id": store, "order_time": when, "order_status": status,
        "currency": "USD", "order_total": total, "captured_amount": captured,
        "refunded_amount": refunded, "line_id": line, "sku": sku, "quantity": qty,
        "line_amount": amount, "line_tax": "0.00", "settlement_batch": "B1", **more,
    }  # fmt: skip


def csv_text(rows: list[dict], headers: list[str] = HEADERS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    return buffer.getvalue()


_BASE = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def load(
    rows: list[dict], key: str, minutes: int = 0, etag: str | None = None, **kw
) -> IntradayFile:
    file = IntradayFile.objects.create(
        bucket="amzn-bucket",
        key=key,
        etag=etag or key,
        last_modified=_BASE + timedelta(minutes=minutes),
        received_via=FileVia.MANUAL,
        content=kw.get("content") or csv_text(rows),
    )
    return intraday_file_load(file=file)


def our_order(store, trip_id, *, ended_at, status="COMPLETED", total="9.99", captured=None,
              refunded="0", jwo_store_id="jwo-a") -> Order:  # fmt: skip
    trip = ShoppingTrip.objects.create(
        store=store, jwo_store_id=jwo_store_id, trip_id=trip_id, started_at=ended_at,
        ended_at=ended_at, entry_method="CARD",
    )  # fmt: skip
    captured = total if captured is None else captured
    return Order.objects.create(
        trip=trip, store=store, purchase_id=f"JWO{trip.pk:010d}", status=status,
        delegation_mode="ORDER", currency="USD", total=Decimal(total), sub_total=Decimal(total),
        captured_amount=Decimal(captured), refunded_amount=Decimal(refunded),
    )  # fmt: skip
