"""What the benchmarks share: a free port, a fresh database, the Django environment, a bench
store, a million orders seeded set-based, and a timed GET. Not a benchmark itself (``make bench``
runs the scripts whose names do not start with ``_``)."""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(name: str, tmp: str) -> str:
    """A new PostgreSQL database beside DATABASE_URL's (dropped first), or SQLite in ``tmp``."""
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    if db_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        db_url = db_url.rsplit("/", 1)[0] + f"/{name}"
    return db_url


def django_setup(db_url: str, tmp: str, **extra: str) -> None:
    """The local settings on ``db_url``, migrated, Django set up in this process."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
            "DATABASE_URL": db_url,
            "DEBUG": "1",
            "JWO_SANDBOX": "1",
            "LOG_LEVEL": "WARNING",
            "CELERY_BROKER_DIR": f"{tmp}/broker",
            "SANDBOX_SQS_ENDPOINT_URL": "",
            "JWO_CATALOG_SQS_QUEUE_NAME": "",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            **extra,
        }
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()


def new_tmp(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix)


def bench_store():
    """A merchant, a store in New York mapped to ``jwo-bench``, and a shopper with an app."""
    from shoppers.models import Shopper
    from stores.models import JwoStoreMapping, Merchant, Store, WebRegister

    merchant = Merchant.objects.create(name="Bench", code="bench")
    store = Store.objects.create(
        merchant=merchant, name="Bench", code="bench", time_zone="America/New_York"
    )
    register = WebRegister.objects.create(store=store, name="Web", code="web")
    JwoStoreMapping.objects.create(
        store=store, web_register=register, jwo_store_id="jwo-bench", loyalty_provider="YINZCAM"
    )
    shopper = Shopper.objects.create(email="pat.bench@example.com", name="Pat Bench")
    return store, shopper


def seed_orders(count: int, db_url: str, store, shopper) -> float:
    """Trips and orders, 7 seconds apart going back from now: 10 % in ERROR (a third of them due
    for a retry now), the rest COMPLETED; the app shopper on every tenth trip, 50,000 cards
    (``amzn-card-<g % 50000>``) on the rest. Returns the seconds it took."""
    started = time.perf_counter()
    if db_url.startswith("postgres"):
        _seed_postgres(count, store.pk, shopper.pk)
    else:
        _seed_sqlite(count, store, shopper)
    return time.perf_counter() - started


def _seed_postgres(count: int, store_id: int, shopper_id: int) -> None:
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
                retries, last_attempt_at, next_action, next_action_at, checkout_order_id,
                completed_at, store_credit_amount)
            SELECT t.created_at, now(), t.id, t.store_id, 'JWO' || lpad(t.id::text, 10, '0'),
                   'JWO',
                   CASE WHEN t.id % 10 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
                   CASE WHEN t.id % 10 = 0 THEN 'PAYMENT' ELSE '' END,
                   CASE WHEN t.id % 10 = 0
                        THEN 'Card declined: AdjustCharge for 9.99 USD was DECLINED.'
                        ELSE '' END,
                   'ORDER', 'USD', 9.99, 0, 0, 9.99, t.created_at,
                   CASE WHEN t.id % 10 = 0 THEN 0 ELSE 9.99 END, 0, 0, t.created_at,
                   CASE WHEN t.id % 30 = 0 THEN 'PAY' ELSE '' END,
                   CASE WHEN t.id % 30 = 0 THEN now() - interval '1 minute' ELSE NULL END,
                   '', NULL, 0
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
                captured_amount="0" if t.pk % 10 == 0 else "9.99",
                next_action="PAY" if t.pk % 30 == 0 else "",
                next_action_at=now - timedelta(minutes=1) if t.pk % 30 == 0 else None,
            )
            for t in trips
        )


def timed(call, runs: int = 30) -> tuple[float, float]:
    """p50 and p95 in ms of ``call()`` (which asserts its own answer), after two calls that
    are not counted (the first request compiles templates and fills caches)."""
    for _ in range(2):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def timed_get(client, path: str, params: dict, runs: int = 30) -> tuple[float, float]:
    def get() -> None:
        response = client.get(path, params)
        assert response.status_code == 200, response.status_code

    return timed(get, runs)
