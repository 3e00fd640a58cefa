"""Stock: what depletion adds to pricing an order, and Catalog → Stock for a store with 20,000
items.

Prints: what depletion adds to pricing an order (the same orders of 5 lines priced with and
without it, warm, the per-order difference of the whole ``order_price`` with its commit;
target: under 1 ms) and depletion's own time where pricing calls it (p50 / p95); the stock
page's server time (view and template) for a store with 20,000 items and 7 days of sales
movements, first page, each filter, a search and a deep page (target: p95 under 150 ms).

PostgreSQL when DATABASE_URL points at it (as the issue asks); SQLite otherwise.

    .venv/bin/python bench/stock.py [ITEMS] [ORDERS]
"""

import os
import sys
import time

from _common import bench_store, django_setup, fresh_database, new_tmp, timed_get


def seed_catalog(store, items: int) -> list[int]:
    """``items`` items sold in ``store``, their stock levels (every 10th below its reorder
    point, every 25th negative, a third never counted) and 7 days of sales movements."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from catalog.models import Item, StoreItem
    from stock.choices import MovementKind
    from stock.models import StockLevel, StockMovement

    rng = random.Random(16)
    Item.objects.bulk_create(
        Item(
            merchant=store.merchant,
            sku=f"SKU-{n:06d}",
            name=f"Bench item {n}",
            barcode=f"{n:012d}",
            barcode_type="UPC",
            category=f"Cat {n % 40}",
        )
        for n in range(items)
    )
    item_ids = list(Item.objects.filter(merchant=store.merchant).values_list("pk", flat=True))
    StoreItem.objects.bulk_create(
        (StoreItem(store=store, item_id=i, price=Decimal("1.99")) for i in item_ids),
        batch_size=5000,
    )
    entitlements = list(StoreItem.objects.filter(store=store).values_list("pk", flat=True))
    now = timezone.now()
    levels = []
    for k, sid in enumerate(entitlements):
        on_hand = Decimal(-3 if k % 25 == 0 else rng.randint(0, 80))
        levels.append(
            StockLevel(
                store_item_id=sid,
                store=store,
                on_hand=on_hand,
                reorder_point=Decimal(90) if k % 10 == 0 else Decimal(5),
                last_counted_at=None if k % 3 == 0 else now - timedelta(days=k % 30),
            )
        )
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    moves = []
    for k, sid in enumerate(entitlements):
        for d in range(k % 12):  # 0-11 sales each over the last 7 days: ~110,000 movements
            moves.append(
                StockMovement(
                    store_item_id=sid,
                    store=store,
                    kind=MovementKind.JWO_SALE,
                    quantity=Decimal(-1),
                    on_hand_after=0,
                    created_at=now - timedelta(hours=(d * 13 + k) % 168),
                )
            )
    StockMovement.objects.bulk_create(moves, batch_size=10000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return entitlements


def depletion(store, orders: int) -> dict[str, list[float]]:
    """Price ``orders`` orders of 5 lines, each twice: once with depletion and once without
    (``stock_deplete_for_order`` replaced by a no-op), the order put back to PENDING between
    the two (untimed), which of the two goes first alternating so neither gets the warmer
    caches. Times the whole ``order_price`` (its commit included: the movements' foreign keys
    are checked there) of both, and depletion's own time where ``order_price`` calls it.
    What depletion adds to pricing an order is the per-order difference, with - without."""
    from datetime import timedelta

    from django.utils import timezone

    import stock.services as stock_services
    from orders.models import Order, ShoppingTrip
    from orders.services import order_price

    own_ms: list[float] = []
    original = stock_services.stock_deplete_for_order

    def timed_deplete(**kwargs):
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            own_ms.append((time.perf_counter() - started) * 1000)

    def no_depletion(**kwargs):
        return 0

    def price(order_id: int, deplete) -> float:
        stock_services.stock_deplete_for_order = deplete
        started = time.perf_counter()
        priced = order_price(order_id=order_id)
        elapsed = (time.perf_counter() - started) * 1000
        assert priced.status == "PRICED", priced.error_message
        return elapsed

    now = timezone.now()
    with_ms, without_ms = [], []
    try:
        for n in range(orders):
            cart = [
                {"id": f"SKU-{(n * 7 + k * 131) % 20000:06d}", "quantity": {"value": "1"}}
                for k in range(5)
            ]
            trip = ShoppingTrip.objects.create(
                store=store,
                jwo_store_id="jwo-bench",
                trip_id=f"bench-stock-{n}",
                started_at=now - timedelta(minutes=5),
                ended_at=now,
                entry_method="CARD",
                auth_events=[],
                cart_items=cart,
            )
            order = Order.objects.create(
                trip=trip, store=store, delegation_mode="ORDER", currency="USD"
            )
            arms = [(timed_deplete, with_ms), (no_depletion, without_ms)]
            for k, (deplete, into) in enumerate(arms if n % 2 else arms[::-1]):
                if k:  # priced again from scratch: back to PENDING (untimed)
                    Order.objects.filter(pk=order.pk).update(status="PENDING", priced_at=None)
                into.append(price(order.pk, deplete))
    finally:
        stock_services.stock_deplete_for_order = original
    return {"own": own_ms, "with": with_ms, "without": without_ms}


def round_trip_floor(store) -> tuple[float, int]:
    """The machine's floor: p50 of ``SELECT 1`` (the load of other processes shows here), and
    how many statements one depletion sends (savepoint included)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order
    from stock import sales, services

    times = []
    with connection.cursor() as cursor:
        for _ in range(300):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    order = Order.objects.filter(status="PRICED").select_related("trip", "store").first()
    with transaction.atomic():
        services.StockMovement.objects.filter(order=order).delete()
        from django.db import reset_queries

        reset_queries()
        prepared = []  # statements psycopg runs prepared, outside Django's query log
        original = sales._fetchall_prepared
        sales._fetchall_prepared = lambda sql, params: prepared.append(sql) or original(sql, params)
        sold = sales._order_sold(order)  # as pricing hands it over
        try:
            with CaptureQueriesContext(connection) as captured:
                services.stock_deplete_for_order(order=order, sold=sold)
        finally:
            sales._fetchall_prepared = original
        transaction.set_rollback(True)
    return pct(times, 0.5), len(captured.captured_queries) + len(prepared)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    orders = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    tmp = new_tmp("bench-stock-")
    db_url = fresh_database("jwo_bench_stock", tmp)
    django_setup(db_url, tmp, DEBUG="0")  # as in production: no query log in the timings

    from django.test import Client

    from tests.factories import merchant_admin

    store, _ = bench_store()
    started = time.perf_counter()
    seed_catalog(store, items)
    seeded = time.perf_counter() - started
    timed = depletion(store, orders)
    floor_ms, queries = round_trip_floor(store)
    # The first orders warm caches and connections up; the figure is the steady state.
    timed = {arm: values[20:] for arm, values in timed.items()}
    added = [w - wo for w, wo in zip(timed["with"], timed["without"], strict=True)]

    client = Client()
    client.force_login(merchant_admin(username="bench-merchant"))
    path = "/catalog/stock/"
    base = {"store": store.pk}
    pages = [
        ("first page", base),
        ("below reorder point", {**base, "level": "below"}),
        ("negative", {**base, "level": "negative"}),
        ("never counted", {**base, "level": "never"}),
        ("search 'item 1234'", {**base, "q": "item 1234"}),
        ("page 300 (deep)", {**base, "page": 300}),
    ]
    timings = [(label, timed_get(client, path, params, runs=40)) for label, params in pages]

    print(
        f"stock: {items:,} items seeded in {seeded:.1f} s on {db_url.split(':')[0]}, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"  depletion adds to order_price (5 lines)  p50 {pct(added, 0.5):6.2f} ms  "
        f"(target < 1 ms; same {len(added)} orders priced with and without it: "
        f"p50 {pct(timed['with'], 0.5):.1f} vs {pct(timed['without'], 0.5):.1f} ms)"
    )
    print(
        f"  depletion's own time in order_price      p50 {pct(timed['own'], 0.5):6.2f} ms  "
        f"p95 {pct(timed['own'], 0.95):6.2f} ms  (p95: orders crossing a reorder point alert)"
    )
    print(
        f"  ({queries} statements per depletion; a SELECT 1 round trip takes p50 "
        f"{floor_ms:.3f} ms here now, load average {os.getloadavg()[0]:.1f})"
    )
    for label, (p50, p95) in timings:
        print(f"  stock page, {label:22} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (target < 150 ms)")


if __name__ == "__main__":
    main()
