import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from jwo_console.models import WorkerHeartbeat
from jwo_console.services import heartbeat_record

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "detail": "no heartbeat yet"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/livez"])
def test_health_probes_answer_a_post_with_405_not_a_csrf_403(path):
    from django.test import Client

    probe = Client(enforce_csrf_checks=True)  # a load balancer has no CSRF token
    for method in ("post", "put", "delete"):
        response = getattr(probe, method)(path)
        assert response.status_code == 405, (method, response.status_code)
        assert response["Allow"] == "GET, HEAD"
    assert probe.head(path).status_code == 200


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    from jwo_console.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
def test_heartbeat_counts_beats_per_worker():
    heartbeat_record(worker="w1")
    heartbeat_record(worker="w1")
    heartbeat_record(worker="w2")
    assert dict(WorkerHeartbeat.objects.values_list("worker", "beats")) == {"w1": 2, "w2": 1}


@pytest.mark.django_db
def test_navigation_shows_only_what_the_role_may_open(client, merchant, django_user_model):
    client.force_login(merchant)
    html = client.get(reverse("home")).content.decode()
    assert "Integrations → Just Walk Out" in html
    client.force_login(django_user_model.objects.create_user("norole", password="x"))
    html = client.get(reverse("home")).content.decode()
    assert "Integrations → Just Walk Out" not in html
    assert "no console role yet" in html


@pytest.mark.django_db
def test_login_and_logout(client, merchant):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": merchant.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_request_id_is_echoed_and_generated(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated


def _import_production(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; django.setup(); print('started')"
    full_env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.production",
        "DJANGO_READ_DOT_ENV_FILE": "0",
        "JWO_CONNECTOR_SECRET": "x",
        "PROCESSOR_URL": "https://processor.example/api",
        "PROCESSOR_API_KEY": "k",
        "YINZCAM_API_KEY": "yinzcam-real-key",
        "VENUENEXT_API_KEY": "venuenext-real-key",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_production({})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_the_sandbox():
    result = _import_production({"SECRET_KEY": "s" * 50, "JWO_SANDBOX": "1"})
    assert result.returncode != 0
    assert "JWO_SANDBOX is on" in result.stderr


def test_production_refuses_to_start_without_the_card_processor():
    result = _import_production({"SECRET_KEY": "s" * 50, "PROCESSOR_API_KEY": ""})
    assert result.returncode != 0
    assert "PROCESSOR_API_KEY" in result.stderr


def test_production_starts_with_a_secret_and_no_sandbox():
    result = _import_production({"SECRET_KEY": "s" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_money_rounds_half_up_and_refuses_float():
    from decimal import Decimal

    from jwo_console.money import quantize, to_minor_units

    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("2.344")) == Decimal("2.34")
    assert to_minor_units(Decimal("19.999"), "USD") == 2000
    assert to_minor_units(Decimal("1200.4"), "JPY") == 1200
    with pytest.raises(TypeError):
        quantize(1.5)


def test_json_logs_carry_the_request_id(capsys):
    import logging

    from pythonjsonlogger.json import JsonFormatter

    from jwo_console.logging import RequestIdFilter, request_id_var

    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(message)s %(request_id)s"))
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    token = request_id_var.set("req-42")
    try:
        logger.warning("hello", extra={"store_id": 7})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["request_id"] == "req-42" and record["store_id"] == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/catalog/stock/?q=%00",
        "/alerts/?kind=%00",
        "/shoppers/gate-activity/?store=%00",
        "/portal/receipts/JWO0000000016%00/",
    ],
)
def test_a_nul_in_a_page_request_is_a_400_not_a_500(merchant_client, url):
    assert merchant_client.get(url).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/catalog/sync/runs/?store=1e999",
        "/catalog/sync/runs/?store=%C2%B2",
        "/financial/reconciliation/?to=0001-01-01",
        "/financial/reconciliation/?from=9999-12-31",
    ],
)
def test_hostile_query_values_never_give_a_500(merchant_client, url):
    assert merchant_client.get(url).status_code in (200, 302, 404)


@pytest.mark.django_db
def test_the_public_card_lookup_refuses_a_day_out_of_range(client):
    for day in ("9999-12-31", "0001-01-01"):
        response = client.post(
            "/portal/find-trip/", {"last4": "4242", "day": day, "amount": "5.00"}
        )
        assert response.status_code in (200, 400, 429)
