"""Only the expected refusal is a pass: whatever else answers (a web server's page, a proxy, a
gateway, a server that trickles) says what it is, over real HTTP — the sandbox plays Amazon, the
live server is the console, and a tiny local server plays "something else"."""

import json
import time

import pytest

from connectivity.choices import RunStatus
from connectivity.services import connectivity_run_start
from connector import services as connector_services
from connector.models import ConnectorRequest

CONNECTOR_KEYS = [
    "connector:identity-keys",
    "connector:shopper",
    "connector:scan",
    "connector:scan-details",
    "connector:purchases",
]
DJANGO_400 = b"<!doctype html>\n<html lang='en'><head><title>Bad Request (400)</title></head>"
DJANGO_400 += b"<body><h1>Bad Request (400)</h1><p></p></body></html>"
NGINX_400 = b"<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad "
NGINX_400 += b"Request</h1></center><hr><center>nginx</center></body></html>"


def _run(mapping):
    run, created = connectivity_run_start(mapping=mapping, actor=None)
    assert created
    run.refresh_from_db()
    return run


def _by_key(run) -> dict[str, dict]:
    return {c["key"]: c for c in run.checks}


# -- 1. connector: only the connector's own refusal passes -----------------------------------------


@pytest.mark.parametrize("page", [DJANGO_400, NGINX_400], ids=["django-disallowed-host", "proxy"])
def test_an_html_400_is_not_the_connector(wired, fake_server, settings, payment_store, page):
    fake_server.answer.status, fake_server.answer.body = 400, page
    settings.JWO_CONNECTOR_PUBLIC_URL = fake_server.url

    run = _run(payment_store)

    assert run.status == RunStatus.FAILED
    for key in CONNECTOR_KEYS:
        check = _by_key(run)[key]
        assert check["status"] == "FAILED", check
        assert "not the console's connector" in check["diagnosis"]
        assert "not JSON" in check["diagnosis"] and "JWO_CONNECTOR_PUBLIC_URL" in check["diagnosis"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"error": "bad"}', "not the connector's refusal"),
        (  # the connector's shape, but a refusal before any field was read
            b'{"message": "the body is not JSON", "errors": [{"field": "", "error": "x"}]}',
            "refused the request before reading its fields",
        ),
    ],
)
def test_a_json_400_that_names_no_field_does_not_pass(
    wired, fake_server, settings, payment_store, body, words
):
    fake_server.answer.status = 400
    fake_server.answer.body, fake_server.answer.content_type = body, "application/json"
    settings.JWO_CONNECTOR_PUBLIC_URL = fake_server.url

    check = _by_key(_run(payment_store))["connector:purchases"]

    assert check["status"] == "FAILED" and words in check["diagnosis"]


def test_a_wrong_secret_and_an_unknown_host_fail(wired, settings, monkeypatch, payment_store):
    """The console at the URL has another secret, and the URL's host is not in ALLOWED_HOSTS:
    the connector refuses the host (400 naming Host) before it looks at the secret."""
    monkeypatch.setattr(connector_services, "connector_secret_valid", lambda value: False)
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.JWO_CONNECTOR_PUBLIC_URL = wired.url.replace("localhost", "127.0.0.1")

    run = _run(payment_store)

    assert run.status == RunStatus.FAILED
    for key in CONNECTOR_KEYS:
        check = _by_key(run)[key]
        assert check["status"] == "FAILED" and check["http_status"] == 400
        assert (
            "ALLOWED_HOSTS" in check["diagnosis"]
            and "secret was not checked" in (check["diagnosis"])
        )


def test_a_wrong_secret_says_so(wired, monkeypatch, payment_store):
    monkeypatch.setattr(connector_services, "connector_secret_valid", lambda value: False)

    run = _run(payment_store)

    for key in CONNECTOR_KEYS:
        check = _by_key(run)[key]
        assert check["status"] == "FAILED" and check["http_status"] == 401
        assert "The shared secret was refused" in check["diagnosis"]


# -- 2. Amazon: only the 400 Amazon gives once the signature passed --------------------------------


def test_a_web_servers_200_is_not_amazon(wired, fake_server, settings, payment_store):
    settings.JWO_CATALOG_URL = fake_server.url  # answers "Welcome to nginx" with a 200
    settings.JWO_FEEDBACK_URL = f"{fake_server.url}/feedback"

    run = _run(payment_store)

    assert run.status == RunStatus.FAILED
    for key, setting in (
        ("amazon:catalog", "JWO_CATALOG_URL"),
        ("amazon:feedback", "JWO_FEEDBACK_URL"),
    ):
        check = _by_key(run)[key]
        assert check["status"] == "FAILED" and check["http_status"] == 200
        assert "Answered 200 to a request Amazon refuses" in check["diagnosis"]
        assert "this is not Amazon's API" in check["diagnosis"] and setting in check["diagnosis"]
    assert _by_key(run)["amazon:payments"]["status"] == "OK"  # the sandbox's answer


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (405, "method not allowed"),
        (407, "a proxy between this server and Amazon asks for its own login"),
        (413, "too large"),
        (418, "Unexpected HTTP 418"),
    ],
)
def test_other_4xx_fail_with_a_plain_diagnosis(
    wired, fake_server, settings, payment_store, status, words
):
    fake_server.answer.status = status
    settings.JWO_CATALOG_URL = fake_server.url

    check = _by_key(_run(payment_store))["amazon:catalog"]

    assert check["status"] == "FAILED" and check["http_status"] == status
    assert words in check["diagnosis"]


def test_a_400_that_is_not_json_is_not_amazon(wired, fake_server, settings, payment_store):
    fake_server.answer.status, fake_server.answer.body = 400, NGINX_400
    settings.JWO_CATALOG_URL = fake_server.url

    check = _by_key(_run(payment_store))["amazon:catalog"]

    assert check["status"] == "FAILED" and "not in JSON" in check["diagnosis"]


# -- 4. behind API Gateway; the secret never over plain http -------------------------------------


def test_a_gateway_asking_for_amazons_signature_is_inconclusive(
    wired, fake_server, settings, payment_store, merchant_client
):
    fake_server.answer.status = 403
    fake_server.answer.content_type = "application/json"
    fake_server.answer.body = json.dumps({"message": "Missing Authentication Token"}).encode()
    settings.JWO_CONNECTOR_PUBLIC_URL = fake_server.url

    run = _run(payment_store)

    assert run.status == RunStatus.INCONCLUSIVE, run.checks
    for key in CONNECTOR_KEYS:
        check = _by_key(run)[key]
        assert check["status"] == "INCONCLUSIVE"
        assert "The gateway answers and asks for Amazon's signature" in check["diagnosis"]
        assert "(HTTP 403): reachable" in check["diagnosis"]
        assert "the connector behind it is not reached by this test" in check["diagnosis"]
    page = merchant_client.get(f"/settings/integrations/jwo/{payment_store.pk}/test/")
    text = page.content.decode()
    assert '<span class="badge status-review">Inconclusive</span>' in text
    assert 'id="run-status">Inconclusive<' in text


def test_a_gateways_other_403_still_fails(wired, fake_server, settings, payment_store):
    fake_server.answer.status = 403
    fake_server.answer.content_type = "application/json"
    fake_server.answer.body = b'{"Message": "User: anonymous is not authorized to perform this"}'
    settings.JWO_CONNECTOR_PUBLIC_URL = fake_server.url

    check = _by_key(_run(payment_store))["connector:scan"]

    assert check["status"] == "FAILED" and "Refused in front of the console" in check["diagnosis"]


def test_the_secret_is_never_sent_over_plain_http_to_another_host(wired, settings, payment_store):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # pragma: no cover (the point is that it is never called)
            seen.append(self.headers.get("X-JWO-Connector-Secret", ""))
            self.send_response(400)
            self.end_headers()

    server = HTTPServer(("127.0.0.2", 0), Handler)  # loopback, but not a name of this machine
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.JWO_CONNECTOR_PUBLIC_URL = f"http://127.0.0.2:{server.server_address[1]}"
        run = _run(payment_store)
    finally:
        server.shutdown()
        server.server_close()

    assert seen == []
    for key in CONNECTOR_KEYS:
        check = _by_key(run)[key]
        assert check["status"] == "SKIPPED" and check["http_status"] is None
        assert "plain http" in check["diagnosis"] and "never sent unencrypted" in check["diagnosis"]
    assert not ConnectorRequest.objects.exists()


# -- 5. a malformed URL setting --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["not-a-url", "ftp://files.example.com/catalog"])
def test_a_malformed_url_setting_is_named(wired, settings, payment_store, value):
    settings.JWO_CATALOG_URL = value
    settings.JWO_CONNECTOR_PUBLIC_URL = value

    run = _run(payment_store)

    catalog = _by_key(run)["amazon:catalog"]
    assert catalog["status"] == "FAILED" and "JWO_CATALOG_URL" in catalog["diagnosis"]
    assert "not an http(s) URL" in catalog["diagnosis"]
    purchases = _by_key(run)["connector:purchases"]
    assert purchases["status"] == "FAILED" and "JWO_CONNECTOR_PUBLIC_URL" in purchases["diagnosis"]
    for check in run.checks:
        assert "The check itself failed" not in check["diagnosis"], check


# -- 6. a server that trickles ---------------------------------------------------------------------


def test_a_trickling_server_cannot_hold_the_run(wired, fake_server, settings, payment_store):
    """One byte every second: each read is within the 5 s read timeout, so only the check's own
    bound ends it; the run's bound leaves the checks after it not run."""
    fake_server.answer.trickle = 1.0
    settings.JWO_HTTP_READ_TIMEOUT = 5.0
    settings.JWO_CONNECTIVITY_CHECK_SECONDS = 2.0
    settings.JWO_CONNECTIVITY_RUN_SECONDS = 8.0
    settings.JWO_CATALOG_URL = fake_server.url
    settings.JWO_CONNECTOR_PUBLIC_URL = fake_server.url
    settings.JWO_REPORTING_SQS_ENDPOINT_URL = fake_server.url
    settings.JWO_INTRADAY_SQS_QUEUE_NAME = "jwo-intraday-files"

    started = time.monotonic()
    run = _run(payment_store)
    took = time.monotonic() - started

    assert took < 15, took
    catalog = _by_key(run)["amazon:catalog"]
    assert (
        catalog["status"] == "FAILED" and "No complete answer within 2 s" in (catalog["diagnosis"])
    )
    assert catalog["duration_ms"] < 3500
    intraday = _by_key(run)["queue:intraday"]
    assert intraday["status"] == "FAILED" and "No complete answer" in intraday["diagnosis"]
    identity = _by_key(run)["connector:identity-keys"]
    assert identity["status"] == "FAILED" and "No complete answer" in identity["diagnosis"]
    last = _by_key(run)["connector:purchases"]
    assert last["status"] == "SKIPPED" and "JWO_CONNECTIVITY_RUN_SECONDS" in last["diagnosis"]
    assert run.status == RunStatus.FAILED
