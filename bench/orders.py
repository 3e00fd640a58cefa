"""The order grid and the retry sweep at a million orders, and carts per second from purchase to
PAID through the sandbox with two Celery workers.

Prints: server time (render included) of the grid's first page filtered by JWO + ERROR and of a
text search, p50 / p95 over repeated requests (target: p95 under 200 ms); the time for the sweep
to select (and claim) 10,000 due orders among them (target: under 1 s); carts per second from
CreatePurchases to PAID (priced, adjusted, captured, receipt data fetched).

Seeds with one INSERT ... SELECT generate_series on PostgreSQL (DATABASE_URL, as the issue
asks); on SQLite (no DATABASE_URL) a smaller count is bulk-inserted and the figure says so.

    .venv/bin/python bench/orders.py [ORDERS] [CARTS]
"""

import os
import subprocess
import sys
import time
import uuid

import requests
from _common import (
    ROOT,
    bench_store,
    django_setup,
    free_port,
    fresh_database,
    new_tmp,
    seed_orders,
    timed_get,
)

SECRET = "bench-orders-secret"


def grid_and_sweep(count: int, db_url: str) -> None:
    from django.db import connection
    from django.test import Client

    from payments.services import orders_due_claim
    from payments.sweep import orders_due
    from tests.factories import staff_user

    store, shopper = bench_store()
    seeded = seed_orders(count, db_url, store, shopper)

    client = Client()
    client.force_login(staff_user(username="bench-staff"))
    path = "/financial/orders/"
    jwo_errors = timed_get(client, path, {"source": "JWO", "status": "ERROR"})
    by_order = timed_get(client, path, {"q": f"JWO{count // 2:010d}"})
    by_trip = timed_get(client, path, {"q": f"trip-{count // 3}"})
    by_shopper = timed_get(client, path, {"q": "pat.bench"})
    unfiltered = timed_get(client, path, {})

    from django.utils import timezone

    due = orders_due(now=timezone.now()).count()
    claim_sql, params = orders_due(now=timezone.now())[:500].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + claim_sql, params)
        plan = " ".join(str(col) for row in cur.fetchall() for col in row)  # SQLite: 4 cols
    on_index = "order_next_action_idx" in plan
    started = time.perf_counter()
    claimed = orders_due_claim(limit=10_000)
    sweep = time.perf_counter() - started

    print(
        f"orders: {count:,} seeded in {seeded:.1f} s on {db_url.split(':')[0]}, "
        f"{os.cpu_count()} cores"
    )
    for label, (p50, p95) in (
        ("grid, JWO + ERROR, first page", jwo_errors),
        ("search by order number", by_order),
        ("search by trip id", by_trip),
        ("search by shopper (partial)", by_shopper),
        ("grid, no filter, first page", unfiltered),
    ):
        print(f"  {label:32} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (target p95 < 200 ms)")
    print(
        f"  sweep: claimed {len(claimed):,} of {due:,} due orders in {sweep * 1000:.0f} ms "
        "(target < 1 s)"
    )
    print(
        f"  sweep claim query on the next-action index: {'yes' if on_index else 'NO'} "
        f"({plan[:120]}...)"
    )


def carts_per_second(carts: int, db_url: str, tmp: str) -> None:
    """Purchases over HTTP to gunicorn; two Celery worker processes price and pay them against
    the sandbox (served by the same gunicorn); timed until every order is COMPLETED."""
    from decimal import Decimal

    from catalog.models import Item, StoreItem
    from orders.models import Order
    from stores.models import JwoStoreMapping

    mapping = JwoStoreMapping.objects.get(jwo_store_id="jwo-bench")
    item = Item.objects.create(
        merchant=mapping.store.merchant, sku="SKU-1", name="Water", barcode="000000000017"
    )
    StoreItem.objects.create(store=mapping.store, item=item, price=Decimal("1.99"))
    port = free_port()
    env = {**os.environ, "JWO_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "jwo_console.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "gthread", "--threads", "8",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker_args = [sys.executable, "-m", "celery", "-A", "jwo_console", "worker"]
    workers = [
        subprocess.Popen(
            [*worker_args, "--pool", "solo", "--loglevel", "WARNING", "-n", f"bench{n}@%h"],
            cwd=ROOT,
            env=env,
        )
        for n in range(2)
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/livez", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        time.sleep(3)  # the workers connect
        before = Order.objects.count()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        session = requests.Session()
        started = time.perf_counter()
        for n in range(carts):
            response = session.post(
                f"{base}/v1/order/purchases",
                json={
                    "requestId": str(uuid.uuid4()),
                    "idempotentShoppingTripId": f"test-ok-{uuid.uuid4().hex[:12]}",
                    "storeId": "jwo-bench",
                    "shoppingTrip": {
                        "startTime": now,
                        "endTime": now,
                        "authEvents": [{"id": f"e{n}", "payloadType": "FINANCIAL"}],
                    },
                    "cartItems": [
                        {"id": "SKU-1", "type": "SKU", "quantity": {"value": "2", "unit": "each"}}
                    ],
                    "shopperIdentity": {"id": f"amzn-card-{n}"},
                },
                headers={"X-JWO-Connector-Secret": SECRET},
                timeout=30,
            )
            assert response.status_code == 201, response.text
        deadline = time.monotonic() + 300
        done = 0
        while time.monotonic() < deadline:
            done = Order.objects.filter(pk__gt=before, status="COMPLETED").count()
            if done >= carts:
                break
            time.sleep(0.1)
        wall = time.perf_counter() - started
    finally:
        for proc in (server, *workers):
            proc.terminate()
        for proc in (server, *workers):
            proc.wait(timeout=30)
    failed = Order.objects.filter(pk__gt=before).exclude(status="COMPLETED").count()
    broker = "Redis" if os.environ.get("REDIS_URL") else "the embedded broker"
    print(
        f"  purchase -> PAID (and receipt data): {done} of {carts} carts in {wall:.1f} s = "
        f"{done / wall:.1f} carts/s with 2 workers on {broker}; not completed: {failed}"
    )


def main(count: int, carts: int) -> None:
    tmp = new_tmp("jwo-bench-orders-")
    db_url = fresh_database("jwo_bench_orders", tmp)
    if not db_url.startswith("postgres"):
        count = min(count, 100_000)  # SQLite: a smaller seed, said in the output
    django_setup(db_url, tmp, JWO_CONNECTOR_SECRET=SECRET)
    grid_and_sweep(count, db_url)
    carts_per_second(carts, db_url, tmp)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
