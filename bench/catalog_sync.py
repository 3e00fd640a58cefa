"""Sync Items at 100,000 items, against the sandbox over real HTTP.

Seeds 100,000 entitled items in a mapped store, serves the console (and so the sandbox) with
gunicorn on a free port, then runs a *worker* process that does a full sync end to end
(send every upload, then collect every result), changes 100 items and runs an incremental
sync. Prints wall times, items per second of payload preparation, the number of uploads and
the worker's peak RSS. Uses DATABASE_URL if set (PostgreSQL), a throwaway SQLite file otherwise.

    .venv/bin/python bench/catalog_sync.py [ITEMS]
"""

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(db_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
        "DATABASE_URL": db_url,
        "JWO_SANDBOX": "1",
        "JWO_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox",
        "SANDBOX_CATALOG_STEP_SECONDS": "0",
        "SANDBOX_SQS_ENDPOINT_URL": "",
        "JWO_CATALOG_SQS_QUEUE_NAME": "",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM): ru_maxrss survives fork and exec on Linux
    and would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(run_id: int) -> None:
    """The Celery worker's share: send the run, then collect its results until complete."""
    from catalog.models import CatalogSyncRun, CatalogUpload
    from catalog.sync import catalog_sync_run_execute, catalog_uploads_poll

    started = time.perf_counter()
    catalog_sync_run_execute(run_id=run_id)
    sent = time.perf_counter()
    run = CatalogSyncRun.objects.get(pk=run_id)
    while run.status == "WAITING" and time.perf_counter() - started < 600:
        catalog_uploads_poll(older_than_seconds=0)
        run.refresh_from_db()
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "status": run.status,
                "error": run.error,
                "send_s": sent - started,
                "total_s": done - started,
                "items_sent": run.items_sent,
                "accepted": run.items_accepted,
                "rejected": run.items_rejected,
                "uploads": CatalogUpload.objects.filter(run_id=run_id).count(),
                "peak_rss_mb": _peak_rss_mb(),
            }
        )
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"the server did not come up at {url}")


def main(n_items: int) -> None:
    tmp = tempfile.mkdtemp(prefix="jwo-bench-")
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    if db_url.startswith("postgres"):
        db_url = db_url.rsplit("/", 1)[0] + "/jwo_bench"
        import psycopg

        admin = os.environ["DATABASE_URL"]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jwo_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE jwo_bench")
    port = _free_port()
    env = _env(db_url, port)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    _django(env)

    from catalog.models import CatalogSyncRun, Item, StoreItem
    from catalog.payloads import PAYLOAD_FIELDS, catalog_item, hash_of_row
    from catalog.services import item_update, store_item_hashes_refresh
    from stores.models import JwoStoreMapping, Merchant, Store, WebRegister

    merchant = Merchant.objects.create(name="Bench", code="bench")
    store = Store.objects.create(
        merchant=merchant, name="Bench Store", code="bench", time_zone="UTC"
    )
    register = WebRegister.objects.create(store=store, name="Web", code="web")
    JwoStoreMapping.objects.create(
        store=store, web_register=register, jwo_store_id="jwo-bench-1", loyalty_provider="YINZCAM"
    )

    def upc(n: int) -> str:
        body = f"{n:011d}"
        total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
        return body + str((10 - total % 10) % 10)

    t = time.perf_counter()
    for start in range(0, n_items, 10_000):
        Item.objects.bulk_create(
            Item(
                merchant=merchant,
                sku=f"SKU-{n:06d}",
                name=f"Bench Item {n} 500ml",
                barcode=upc(n),
                barcode_type="UPC",
                category="Bench",
                brand="Acme",
            )
            for n in range(start, min(n_items, start + 10_000))
        )
    ids = list(Item.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 10_000):
        StoreItem.objects.bulk_create(
            StoreItem(store=store, item_id=pk, price="1.99") for pk in ids[start : start + 10_000]
        )
    store_item_hashes_refresh(items=ids)
    seed_s = time.perf_counter() - t

    # Payload preparation alone: read, build and serialise every item once.
    import simplejson

    t = time.perf_counter()
    prepared = 0
    rows = StoreItem.objects.filter(store=store).values(*PAYLOAD_FIELDS).iterator(chunk_size=10_000)
    for row in rows:
        hash_of_row(row)
        simplejson.dumps(catalog_item(row, "jwo-bench-1").to_wire(), use_decimal=True)
        prepared += 1
    prep_rate = prepared / (time.perf_counter() - t)

    server = subprocess.Popen(
        [
            py,
            "-m",
            "gunicorn",
            "jwo_console.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")

        def run_worker(label: str) -> dict:
            run = CatalogSyncRun.objects.create(store=store)
            out = subprocess.run(
                [py, __file__, "--worker", str(run.pk)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["label"] = label
            return result

        full = run_worker("full")
        changed = list(Item.objects.order_by("?")[:100])
        t = time.perf_counter()
        for item in changed:
            item_update(item=item, data={"name": f"{item.name} New"}, actor=None)
        edit_s = time.perf_counter() - t
        incremental = run_worker("incremental")
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"catalog sync, {n_items} items, {os.cpu_count()} cores, database {db_url.split(':')[0]}")
    print(f"  seeding: {seed_s:.1f} s (not part of the figures below)")
    print(f"  payload preparation: {prep_rate:,.0f} items/s")
    for r in (full, incremental):
        print(
            f"  {r['label']} sync: {r['total_s']:.2f} s end to end "
            f"(sending {r['send_s']:.2f} s), "
            f"{r['items_sent']} items in {r['uploads']} upload(s), {r['accepted']} accepted, "
            f"{r['rejected']} rejected, status {r['status']}, "
            f"worker peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    print(f"  editing the 100 items through the service: {edit_s:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        import django

        django.setup()
        worker(int(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
