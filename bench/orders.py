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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "bench-orders-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_postgres(count: int, store_id: int, shopper_id: int) -> None:
    """Trips and orders in two set-based INSERTs: 10 % in ERROR (a third of them due for a retry
    now), the rest COMPLETED, spread over 90 days, a shopper on every tenth trip."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO orders_shoppingtrip (created_at, updated_at, store_id, jwo_store_id,
                trip_id, started_at, ended_at, entry_method, shopper_id, loyalty_ids,
                auth_events, cart_items, amazon_shopper_id, payment_source_id)
            SELECT now() - (g * interval '7 seconds'), now(), %s, 'jwo-bench',
                   'trip-' || g, now() - (g * interval '7 seconds'),
                   now() - (g * interval '7 seconds'),
                   CASE WHEN g %% 3 = 0 THEN 'APP' ELSE 'CARD' END,
                   CASE WHEN g %% 10 = 0 THEN %s ELSE NULL END,
                   '[]', '[]', '[{"id": "SKU-1", "quantity": {"value": "1"}}]',
                   'amzn-card-' || (g %% 50000), ''
            FROM generate_series(1, %s) AS g
            """,
            [store_id, shopper_id, count],
        )
        cur.execute(
            """
            INSERT INTO orders_order (created_at, updated_at, trip_id, store_id, purchase_id,
                source, status, error_stage, error_message, delegation_mode, currency, sub_total,
                promotions_total, tax_total, total, priced_at, captured_amount, refunded_amount,
                retries, last_attempt_at, next_retry_at, checkout_order_id, completed_at)
            SELECT t.created_at, now(), t.id, t.store_id, 'JWO' || lpad(t.id::text, 10, '0'),
                   'JWO',
                   CASE WHEN t.id % 10 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
                   CASE WHEN t.id % 10 = 0 THEN 'PAYMENT' ELSE '' END,
                   CASE WHEN t.id % 10 = 0
                        THEN 'Card declined: AdjustCharge for 9.99 USD was DECLINED.'
                        ELSE '' END,
                   'ORDER', 'USD', 9.99, 0, 0, 9.99, t.created_at,
                   CASE WHEN t.id % 10 = 0 THEN 0 ELSE 9.99 END, 0, 0, t.created_at,
                   CASE WHEN t.id % 30 = 0 THEN now() - interval '1 minute' ELSE NULL END,
                   '', NULL
            FROM orders_shoppingtrip t
            """
        )
        cur.execute("ANALYZE orders_order; ANALYZE orders_shoppingtrip; ANALYZE shoppers_shopper")


def _seed_sqlite(count: int, store, shopper) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order, ShoppingTrip

    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        trips = ShoppingTrip.objects.bulk_create(
            ShoppingTrip(
                store=store,
                jwo_store_id="jwo-bench",
                trip_id=f"trip-{g}",
                started_at=now - timedelta(seconds=7 * g),
                ended_at=now - timedelta(seconds=7 * g),
                entry_method="CARD",
                shopper=shopper if g % 10 == 0 else None,
                cart_items=[{"id": "SKU-1", "quantity": {"value": "1"}}],
                amazon_shopper_id=f"amzn-card-{g % 50000}",
            )
            for g in range(start + 1, min(start + batch, count) + 1)
        )
        Order.objects.bulk_create(
            Order(
                trip=t,
                store=store,
                purchase_id=f"JWO{t.pk:010d}",
                status="ERROR" if t.pk % 10 == 0 else "COMPLETED",
                error_stage="PAYMENT" if t.pk % 10 == 0 else "",
                error_message="Card declined." if t.pk % 10 == 0 else "",
                delegation_mode="ORDER",
                currency="USD",
                total="9.99",
                sub_total="9.99",
                next_retry_at=now - timedelta(minutes=1) if t.pk % 30 == 0 else None,
            )
            for t in trips
        )


def _timed_get(client, path: str, params: dict, runs: int = 30) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def grid_and_sweep(count: int, db_url: str) -> None:
    from django.test import Client

    from payments.selectors import orders_due_for_retry
    from payments.services import payment_retry_due_claim
    from shoppers.models import Shopper
    from stores.models import JwoStoreMapping, Merchant, Store, WebRegister
    from tests.factories import staff_user

    merchant = Merchant.objects.create(name="Bench", code="bench")
    store = Store.objects.create(
        merchant=merchant, name="Bench", code="bench", time_zone="America/New_York"
    )
    register = WebRegister.objects.create(store=store, name="Web", code="web")
    JwoStoreMapping.objects.create(
        store=store, web_register=register, jwo_store_id="jwo-bench", loyalty_provider="YINZCAM"
    )
    shopper = Shopper.objects.create(email="pat.bench@example.com", name="Pat Bench")
    started = time.perf_counter()
    if db_url.startswith("postgres"):
        _seed_postgres(count, store.pk, shopper.pk)
    else:
        _seed_sqlite(count, store, shopper)
    seeded = time.perf_counter() - started

    client = Client()
    client.force_login(staff_user(username="bench-staff"))
    path = "/financial/orders/"
    jwo_errors = _timed_get(client, path, {"source": "JWO", "status": "ERROR"})
    by_order = _timed_get(client, path, {"q": f"JWO{count // 2:010d}"})
    by_trip = _timed_get(client, path, {"q": f"trip-{count // 3}"})
    by_shopper = _timed_get(client, path, {"q": "pat.bench"})
    unfiltered = _timed_get(client, path, {})

    from django.utils import timezone

    due = orders_due_for_retry(now=timezone.now()).count()
    started = time.perf_counter()
    claimed = payment_retry_due_claim(limit=10_000)
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
    port = _free_port()
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
    tmp = tempfile.mkdtemp(prefix="jwo-bench-orders-")
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    if db_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jwo_bench_orders WITH (FORCE)")
            conn.execute("CREATE DATABASE jwo_bench_orders")
        db_url = db_url.rsplit("/", 1)[0] + "/jwo_bench_orders"
    else:
        count = min(count, 100_000)  # SQLite: a smaller seed, said in the output
    env = {
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
        "DATABASE_URL": db_url,
        "DEBUG": "1",
        "JWO_SANDBOX": "1",
        "JWO_CONNECTOR_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_DIR": f"{tmp}/broker",
        "SANDBOX_SQS_ENDPOINT_URL": "",
        "JWO_CATALOG_SQS_QUEUE_NAME": "",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    grid_and_sweep(count, db_url)
    carts_per_second(carts, db_url, tmp)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
