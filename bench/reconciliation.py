"""Amazon's reporting and the reconciliation at scale (PostgreSQL with DATABASE_URL; SQLite,
smaller, without).

Prints:
- a busy store's day ingested end to end — 96 intra-day files holding 50,000 order lines, put
  on moto's S3 with one SNS-shaped notification each, consumed from SQS, downloaded and loaded
  (target: under 30 s, flat memory: the process's RSS is printed every 12 files);
- reconciling one store's day of 100,000 orders against 100,000 of Amazon's records, 1 % of
  them different (target: under 10 s);
- the home page's server time (view and template) at 1,000,000 orders, p50 / p95, for today,
  the last 7 and the last 30 days (target: p95 under 150 ms).

    .venv/bin/python bench/reconciliation.py [ORDERS]
"""

import csv
import io
import json
import sys
import time
from datetime import timedelta

from _common import bench_store, django_setup, free_port, fresh_database, new_tmp, seed_orders
from _common import timed_get as _timed_get

FILES, LINES = 96, 50_000
DAY_ORDERS = 100_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def ingest(store) -> None:
    from django.conf import settings
    from django.utils import timezone

    from feeds import aws
    from feeds.intraday import intraday_notifications_consume
    from feeds.models import AmazonOrder, AmazonOrderLine, IntradayFile

    s3, sqs = aws.s3_client(), aws.sqs_client()
    bucket = settings.JWO_INTRADAY_S3_BUCKET
    s3.create_bucket(Bucket=bucket)
    queue = sqs.create_queue(QueueName=settings.JWO_INTRADAY_SQS_QUEUE_NAME)["QueueUrl"]
    day = timezone.now() - timedelta(days=2)
    per_file = LINES // FILES
    headers = [*settings.JWO_INTRADAY_COLUMNS, "settlement_batch"]
    line_no = 0
    for f in range(FILES):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        count = per_file + (1 if f < LINES % FILES else 0)
        for _ in range(count):
            order = line_no // 3  # three lines an order; an order can straddle two files
            when = (day + timedelta(seconds=order)).isoformat()
            writer.writerow(
                [f"ing-{order}", "jwo-busy", when, "CAPTURED", "USD", "7.50", "7.50", "0.00",
                 str(line_no % 3 + 1), f"SKU-{line_no % 500}", "1", "2.50", "0.00", "B1"]
            )  # fmt: skip
            line_no += 1
        key = f"intraday/jwo-busy/{day:%Y/%m/%d}/file-{f:03d}.csv"
        s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue().encode())
        record = {"eventName": "ObjectCreated:Put",
                  "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}  # fmt: skip
        envelope = {"Type": "Notification", "Message": json.dumps({"Records": [record]})}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    samples = []
    started = time.perf_counter()
    loaded = 0
    from django.db import reset_queries

    while loaded < FILES:
        reset_queries()  # the bench runs with DEBUG on: do not count its query log as memory
        got = intraday_notifications_consume(max_batches=2)
        if not got and loaded:
            break
        loaded += got
        samples.append(f"{loaded}:{rss_mb():.0f}")
    wall = time.perf_counter() - started
    orders = AmazonOrder.objects.filter(jwo_store_id="jwo-busy").count()
    lines = AmazonOrderLine.objects.filter(order__jwo_store_id="jwo-busy").count()
    assert IntradayFile.objects.count() == FILES, IntradayFile.objects.count()
    print(
        f"  ingest: {FILES} files, {line_no:,} lines -> {orders:,} orders / {lines:,} lines "
        f"in {wall:.1f} s (target < 30 s); RSS MB by files loaded: {' '.join(samples)}",
        flush=True,
    )


def seed_day(store, db_url: str, count: int) -> None:
    """``count`` orders of one store's yesterday, and Amazon's records of them (1 % differ)."""
    from django.db import connection
    from django.utils import timezone

    from reconciliation.services import day_window

    yesterday = timezone.now().astimezone(store.zone).date() - timedelta(days=1)
    start, _ = day_window(store=store, day=yesterday)
    step = 86_000 / count
    if db_url.startswith("postgres"):
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO orders_shoppingtrip (created_at, updated_at, store_id, jwo_store_id,
                    trip_id, started_at, ended_at, entry_method, loyalty_ids, auth_events,
                    cart_items, amazon_shopper_id, payment_source_id)
                SELECT %s + g * %s * interval '1 second', now(), %s, 'jwo-busy', 'day-' || g,
                       %s + g * %s * interval '1 second', %s + g * %s * interval '1 second',
                       'CARD', '[]', '[]', '[]', '', ''
                FROM generate_series(1, %s) AS g
                """,
                [start, step, store.pk, start, step, start, step, count],
            )
            cur.execute(
                """
                INSERT INTO orders_order (created_at, updated_at, trip_id, store_id, purchase_id,
                    source, status, error_stage, error_message, delegation_mode, currency,
                    sub_total, promotions_total, tax_total, total, captured_amount,
                    refunded_amount, retries, checkout_order_id)
                SELECT t.created_at, now(), t.id, t.store_id, 'JWD' || lpad(t.id::text, 10, '0'),
                       'JWO', 'COMPLETED', '', '', 'ORDER', 'USD', 7.5, 0, 0, 7.5, 7.5, 0, 0, ''
                FROM orders_shoppingtrip t WHERE t.jwo_store_id = 'jwo-busy'
                """
            )
            cur.execute(
                """
                INSERT INTO feeds_amazonorder (created_at, updated_at, jwo_store_id, trip_id,
                    store_id, ordered_at, status, currency, total, captured, refunded, extra,
                    file_time)
                SELECT now(), now(), 'jwo-busy', t.trip_id, t.store_id, t.ended_at, 'CAPTURED',
                       'USD', CASE WHEN t.id % 100 = 0 THEN 8.5 ELSE 7.5 END, 7.5, 0, '{}', now()
                FROM orders_shoppingtrip t WHERE t.jwo_store_id = 'jwo-busy'
                ON CONFLICT DO NOTHING
                """
            )
            cur.execute("ANALYZE")
    else:
        from decimal import Decimal

        from feeds.models import AmazonOrder
        from orders.models import Order, ShoppingTrip

        for base in range(0, count, 5000):
            trips = ShoppingTrip.objects.bulk_create(
                ShoppingTrip(store=store, jwo_store_id="jwo-busy", trip_id=f"day-{g}",
                             started_at=start + timedelta(seconds=g * step),
                             ended_at=start + timedelta(seconds=g * step), entry_method="CARD")
                for g in range(base, min(base + 5000, count))
            )  # fmt: skip
            Order.objects.bulk_create(
                Order(trip=t, store=store, purchase_id=f"JWD{t.pk:010d}", status="COMPLETED",
                      delegation_mode="ORDER", currency="USD", total=Decimal("7.5"),
                      captured_amount=Decimal("7.5"))
                for t in trips
            )  # fmt: skip
            AmazonOrder.objects.bulk_create(
                AmazonOrder(jwo_store_id="jwo-busy", trip_id=t.trip_id, store=store,
                            ordered_at=t.ended_at, status="CAPTURED", currency="USD",
                            total=Decimal("8.5") if t.pk % 100 == 0 else Decimal("7.5"),
                            captured=Decimal("7.5"), refunded=Decimal(0), file_time=t.ended_at)
                for t in trips
            )  # fmt: skip


def reconcile(store) -> None:
    from django.utils import timezone

    from reconciliation.models import RunTrigger
    from reconciliation.services import reconciliation_run

    day = timezone.now().astimezone(store.zone).date() - timedelta(days=1)
    started = time.perf_counter()
    run = reconciliation_run(store=store, day=day, trigger=RunTrigger.MANUAL)
    wall = time.perf_counter() - started
    print(
        f"  reconcile: {run.ours:,} orders vs {run.amazons:,} records in {wall:.1f} s "
        f"(target < 10 s): matched {run.matched:,}, total differs {run.total_mismatch:,}, "
        f"status {run.status}"
    )


def home(client) -> None:
    client.get("/")  # a warm server: templates compiled, permissions loaded
    for period in ("today", "7d", "30d"):
        p50, p95 = _timed_get(client, "/", {"period": period})
        print(
            f"  home page, {period:5}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (target p95 < 150 ms)"
        )


def main(count: int) -> None:
    tmp = new_tmp("jwo-bench-reconciliation-")
    db_url = fresh_database("jwo_bench_reconciliation", tmp)
    postgres = db_url.startswith("postgres")
    if not postgres:
        count = min(count, 100_000)
    import subprocess

    port = free_port()  # moto in its own process, as `make run` starts it (Procfile.dev)
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(2)
    endpoint = f"http://127.0.0.1:{port}"
    django_setup(
        db_url, tmp, JWO_INTRADAY_S3_ENDPOINT_URL=endpoint, JWO_REPORTING_SQS_ENDPOINT_URL=endpoint,
        JWO_INTRADAY_S3_BUCKET="bench-reports", JWO_INTRADAY_SQS_QUEUE_NAME="bench-files",
    )  # fmt: skip
    try:
        from django.test import Client

        from stores.models import JwoStoreMapping, Store, WebRegister
        from tests.factories import staff_user

        store, shopper = bench_store()
        busy = Store.objects.create(
            merchant=store.merchant, name="Busy", code="busy", time_zone="America/New_York"
        )
        JwoStoreMapping.objects.create(
            store=busy, web_register=WebRegister.objects.create(store=busy, name="W", code="w"),
            jwo_store_id="jwo-busy", loyalty_provider="YINZCAM",
        )  # fmt: skip
        print(f"reconciliation bench on {db_url.split(':')[0]}", flush=True)
        seeded = seed_orders(count, db_url, store, shopper)  # before the busy day: it takes
        print(f"  home: {count:,} orders seeded in {seeded:.1f} s", flush=True)  # every trip
        ingest(busy)
        seed_day(busy, db_url, DAY_ORDERS if postgres else 20_000)
        reconcile(busy)
        from dashboard.stats import HISTORY_DAYS, order_stats_refresh

        started = time.perf_counter()
        order_stats_refresh(hours=HISTORY_DAYS * 24)  # what beat does every hour
        history = time.perf_counter() - started
        started = time.perf_counter()
        order_stats_refresh()  # and every minute
        recent = time.perf_counter() - started
        print(
            f"  home: order rollup refreshed, 32 days in {history:.1f} s (hourly), "
            f"49 hours in {recent * 1000:.0f} ms (every minute)"
        )
        client = Client()
        client.force_login(staff_user(username="bench-home"))
        home(client)
    finally:
        moto.terminate()
        moto.wait(timeout=30)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
