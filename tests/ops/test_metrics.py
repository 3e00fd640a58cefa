import contextlib
import json
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from orders.models import Order
from tests.factories import JwoStoreMappingFactory, OrderFactory

pytestmark = pytest.mark.django_db

GRAFANA = Path(__file__).resolve().parents[2] / "docs" / "grafana-jwo-console.json"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def total(samples, name, **labels) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def test_open_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 200


def test_token_required_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and b"jwo_orders" in ok.content
    lower = client.get("/metrics", HTTP_AUTHORIZATION="bearer s3cret-token")  # RFC 9110
    assert lower.status_code == 200


@pytest.mark.parametrize("token", ["", "s3cret-token"])
def test_metrics_answers_only_get_and_head_and_a_post_gets_405_not_a_csrf_403(settings, token):
    settings.METRICS_TOKEN = token
    scraper = Client(enforce_csrf_checks=True)  # as a scraper is: no CSRF cookie or token
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    for method in ("post", "put", "patch", "delete"):
        response = getattr(scraper, method)("/metrics", **bearer)
        assert response.status_code == 405, (method, response.status_code)
        assert response["Allow"] == "GET, HEAD"
    head = scraper.head("/metrics", **bearer)
    assert head.status_code == 200 and head.content == b""
    if token:
        assert scraper.head("/metrics").status_code == 401  # the token still guards HEAD
        assert scraper.get("/metrics").status_code == 401


def test_orders_by_state_follow_the_orders(client):
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-metrics-1")
    before = scrape(client)
    order = OrderFactory(mapping=mapping, status="PRICED")
    after = scrape(client)
    priced = ("jwo_orders", (("status", "PRICED"),))
    assert after[priced] == before[priced] + 1
    assert total(after, "jwo_oldest_waiting_order_age_seconds", stage="payment") >= 0
    Order.objects.filter(pk=order.pk).update(status="ERROR")
    again = scrape(client)
    assert again[priced] == before[priced]
    assert (
        again[("jwo_orders", (("status", "ERROR"),))]
        == before.get(("jwo_orders", (("status", "ERROR"),)), 0) + 1
    )


def test_oldest_waiting_order_age(client):
    from datetime import timedelta

    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-metrics-2")
    OrderFactory(mapping=mapping, status="PENDING", age=timedelta(hours=2))
    age = total(scrape(client), "jwo_oldest_waiting_order_age_seconds", stage="pricing")
    assert 2 * 3600 <= age < 3 * 3600


def test_an_error_order_past_its_retry_window_is_not_waiting(client, settings):
    from datetime import timedelta

    settings.JWO_RETRY_WINDOW_HOURS = 48
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-metrics-window")
    OrderFactory(mapping=mapping, status="ERROR", age=timedelta(hours=49))  # window closed
    assert total(scrape(client), "jwo_oldest_waiting_order_age_seconds", stage="payment") == 0
    OrderFactory(mapping=mapping, status="ERROR", age=timedelta(hours=47))  # still retried
    age = total(scrape(client), "jwo_oldest_waiting_order_age_seconds", stage="payment")
    assert 47 * 3600 <= age < 48 * 3600
    OrderFactory(mapping=mapping, status="PRICED", age=timedelta(hours=60))  # not yet charged
    age = total(scrape(client), "jwo_oldest_waiting_order_age_seconds", stage="payment")
    assert 60 * 3600 <= age < 61 * 3600


def test_connector_request_is_counted_and_timed(client):
    JwoStoreMappingFactory(jwo_store_id="jwo-metrics-3")
    labels = {"endpoint": "identity-keys"}
    before = scrape(client)
    response = Client().post(
        "/v1/identity/identity-keys",
        json.dumps({"storeId": "jwo-metrics-3"}),
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET="test-connector-secret",
    )
    after = scrape(client)
    status = str(response.status_code)
    assert total(after, "jwo_connector_requests_total", status=status, **labels) == (
        total(before, "jwo_connector_requests_total", status=status, **labels) + 1
    )
    assert total(after, "jwo_connector_request_duration_seconds_count", **labels) == (
        total(before, "jwo_connector_request_duration_seconds_count", **labels) + 1
    )


def test_amazon_call_is_counted_and_timed(sandbox, client):
    from integrations.amazon.catalog import CatalogClient
    from integrations.amazon.transport import AmazonTransport

    before = scrape(client)
    catalog = CatalogClient(AmazonTransport("catalog", sleep=lambda s: None))
    # the answer does not matter here, only that the call was observed
    with contextlib.suppress(Exception):
        catalog.get_catalog_upload_status("no-such-ingestion")
    after = scrape(client)
    assert total(after, "jwo_amazon_calls_total", service="catalog") > total(
        before, "jwo_amazon_calls_total", service="catalog"
    )
    assert total(after, "jwo_amazon_call_duration_seconds_count", service="catalog") > total(
        before, "jwo_amazon_call_duration_seconds_count", service="catalog"
    )


def test_celery_task_duration_observed(client):
    from jwo_console.tasks import heartbeat_task

    before = scrape(client)
    heartbeat_task.delay()
    after = scrape(client)
    name = "jwo_celery_task_duration_seconds_count"
    task = "jwo_console.tasks.heartbeat_task"
    assert total(after, name, task=task) == total(before, name, task=task) + 1


def test_every_metric_the_grafana_dashboard_uses_is_exposed(client, settings):
    import re

    from django.utils import timezone

    OrderFactory(mapping=JwoStoreMappingFactory(jwo_store_id="jwo-metrics-5"))
    Client().post(
        "/v1/identity/identity-keys",
        "{}",
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET="test-connector-secret",
    )
    from integrations.amazon.recording import CallRecord
    from ops.metrics import amazon_call_observe

    amazon_call_observe(
        CallRecord(
            service="catalog",
            operation="UploadCatalog",
            method="POST",
            url="x",
            started_at=timezone.now(),
            attempt=1,
            http_status=200,
            duration_ms=5,
        )
    )
    response = client.get("/metrics")
    names = {s.name for f in text_string_to_metric_families(response.content.decode())
             for s in f.samples}  # fmt: skip
    dashboard = json.loads(GRAFANA.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if "expr" in t]
    assert exprs
    used = {m for e in exprs for m in re.findall(r"\b(jwo_[a-z0-9_]+)", e)}
    assert used, exprs
    missing = used - names
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert missing == set()
    else:  # queue depth is read from a Redis broker only
        assert missing <= {"jwo_celery_queue_depth"}


def test_multiprocess_mode_adds_up_every_process(tmp_path, monkeypatch):
    """Two processes (as two gunicorn workers) each count a request; one scrape shows both."""
    import os
    import subprocess
    import sys

    from ops.metrics import metrics_render

    code = (
        "from ops.metrics import connector_request_observe as o; "
        "o(endpoint='purchases', status=200, seconds=0.05)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, _ = metrics_render()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(body.decode())
        for s in f.samples
    }
    key = ("jwo_connector_requests_total", (("endpoint", "purchases"), ("status", "200")))
    assert samples[key] == 2
    assert total(samples, "jwo_orders") >= 0  # the database's gauges come along


def test_reconciliation_mismatches_of_the_newest_run(client):
    from datetime import date

    from reconciliation.models import ReconciliationItem, ReconciliationRun

    store = JwoStoreMappingFactory(jwo_store_id="jwo-metrics-6").store
    key = ("jwo_reconciliation_mismatches", (("kind", "TOTAL"),))
    before = scrape(client)[key]
    old = ReconciliationRun.objects.create(store=store, day=date(2026, 11, 1), trigger="SCHEDULE")
    ReconciliationItem.objects.create(run=old, kind="TOTAL", trip_id="t-old")
    assert scrape(client)[key] == before + 1
    new = ReconciliationRun.objects.create(store=store, day=date(2026, 11, 2), trigger="SCHEDULE")
    for n in range(2):
        ReconciliationItem.objects.create(run=new, kind="TOTAL", trip_id=f"t-{n}")
    assert scrape(client)[key] == before + 2  # only the newest run counts
