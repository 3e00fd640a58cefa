"""Two Celery worker processes (-n w1@…, -n w2@…) on one broker: orders from the gate simulator
are priced and charged, each exactly once (issue 15). Run over Redis (REDIS_URL) and RabbitMQ
(amqp://guest:guest@127.0.0.1:5672//, or RABBITMQ_URL), each skipped with its reason when away."""

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from jwo_console.celery import app
from orders.models import Order, TaxRate
from sandbox.models import SandboxCatalogItem, SandboxStore, SandboxTrip
from sandbox.simulator import GateSimulator, SimulationConfig
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 5672), timeout=2):
            return True
    except OSError:
        return False


def _broker(kind: str) -> str:
    if kind == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL is not set: no Redis broker to test")
        return settings.REDIS_URL
    if not _reachable(RABBITMQ_URL):
        pytest.skip(
            f"RabbitMQ is not reachable at {urlparse(RABBITMQ_URL).netloc} (.ci/run starts it)"
        )
    return RABBITMQ_URL


@pytest.fixture
def broker_app(request):
    """The test process (and the live server's threads) publish to the chosen broker."""
    url = _broker(request.param)
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {} if url.startswith("amqp") else saved[1]
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    try:
        app.control.purge()
        yield url
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.task_always_eager = True


def _start_worker(name: str, *, broker: str, sandbox_url: str, log: Path) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker,
        "JWO_SANDBOX": "1",
        "JWO_SANDBOX_URL": sandbox_url,
        "JWO_CONNECTOR_SECRET": settings.JWO_CONNECTOR_SECRET,
        "JWO_PAYMENT_ON_PRICED": "1",
    }
    queues = ",".join(q.name for q in settings.CELERY_TASK_QUEUES)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jwo_console",
            "worker",
            "-n",
            f"{name}@%h",
            "-Q",
            queues,
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("broker_app", ["redis", "rabbitmq"], indirect=True)
def test_two_workers_on_one_broker_charge_each_order_once(broker_app, sandbox, settings, tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("worker processes need the test database on a server (PostgreSQL)")
    settings.JWO_PAYMENT_ON_PRICED = True
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-2w", fa_strategy="RETAILER_MANAGED")
    SandboxStore.objects.create(store_id="jwo-2w", preauth_amount=mapping.preauth_amount)
    TaxRate.objects.create(store=mapping.store, tax_code="", rate=Decimal("0.07"))
    for _ in range(4):
        item = ItemFactory()
        entitle(mapping.store, item, price="2.00")
        SandboxCatalogItem.objects.create(
            store_id="jwo-2w",
            item_sku=item.sku,
            item_name=item.name,
            external_product_id=item.barcode,
        )
    logs = {name: tmp_path / f"{name}.log" for name in ("w1", "w2")}
    workers = [
        _start_worker(name, broker=broker_app, sandbox_url=f"{sandbox.url}/sandbox", log=log)
        for name, log in logs.items()
    ]
    try:
        summary = GateSimulator(
            SimulationConfig(
                connector_url=sandbox.url,
                connector_secret=settings.JWO_CONNECTOR_SECRET,
                store_id="jwo-2w",
                shoppers=12,
                concurrency=3,
                app_share=0.0,
                retailer_fa=True,
                empty_rate=0,
                unknown_sku_rate=0,
                group_rate=0,
                seed=21,
            )
        ).run()
        walked = [o for o in summary.outcomes if o.admitted and o.purchase_status == 201]
        assert len(walked) == 12
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if Order.objects.filter(status="COMPLETED").count() == 12:
                break
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.5)
        states = dict(Order.objects.values_list("trip__trip_id", "status"))
        assert list(states.values()).count("COMPLETED") == 12, states
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    for order in Order.objects.select_related("trip"):
        trip = SandboxTrip.objects.get(trip_id=order.trip.trip_id)
        assert trip.captured_amount == order.total  # charged once, the whole amount
        assert trip.capture_replays == 0
    ran = {name: log.read_text().count("] received") for name, log in logs.items()}
    assert all(ran.values()), f"both workers took tasks from the one broker: {ran}"
    scheme = urlparse(broker_app).scheme
    for name, log in logs.items():
        text = log.read_text()
        assert f"{name}@" in text and f"transport:   {scheme}://" in text, text[:3000]
