"""Run test over real HTTP: the sandbox plays Amazon, moto plays SQS, and the connector is
reached through the live server's URL with the shared secret."""

import pytest

from connectivity.choices import RunStatus
from connectivity.services import connectivity_run_start
from connector.models import ConnectorRequest
from integrations.amazon import config
from orders.models import Order, ShoppingTrip
from sandbox.models import (
    FaultKind,
    SandboxCall,
    SandboxCheckoutOrder,
    SandboxFault,
    SandboxPaymentReport,
    SandboxRefund,
    SandboxTrip,
)
from shoppers.models import GateDecision
from tests.factories import merchant_admin

HARMLESS = {"GetCatalogUploadStatus", "GetTransactionalData", "CheckoutCart", "ReportPaymentStatus"}


def _run(mapping, user=None):
    run, created = connectivity_run_start(mapping=mapping, actor=user)
    assert created
    run.refresh_from_db()
    return run


def _by_key(run) -> dict[str, dict]:
    return {c["key"]: c for c in run.checks}


def test_a_good_mapping_passes_every_check(wired, sqs_server, settings, payment_store):
    settings.JWO_REPORTING_SQS_ENDPOINT_URL = sqs_server
    settings.JWO_INTRADAY_SQS_QUEUE_NAME = "jwo-intraday-files"
    user = merchant_admin(username="maria")

    run = _run(payment_store, user)

    checks = _by_key(run)
    assert run.status == RunStatus.PASSED, run.checks
    assert set(checks) == {
        "amazon:catalog",
        "amazon:payments",
        "amazon:feedback",
        "queue:catalog",
        "queue:intraday",
        "connector:identity-keys",
        "connector:shopper",
        "connector:scan",
        "connector:scan-details",
        "connector:purchases",
    }
    assert {c["status"] for c in run.checks} == {"OK"}
    assert checks["amazon:catalog"]["http_status"] == 400  # unknown ingestion id, signed fine
    assert "signature is accepted" in checks["amazon:payments"]["diagnosis"]
    assert checks["connector:purchases"]["target"] == f"{wired.url}/v1/order/purchases"
    assert run.requested_by == user and run.started_at and run.finished_at
    assert run.started_at <= run.progress_at <= run.finished_at  # moved on by each check


def test_a_checkout_store_tests_checkout_and_its_card_gate(wired, checkout_store):
    run = _run(checkout_store)

    checks = _by_key(run)
    assert "amazon:checkout" in checks and "amazon:payments" not in checks
    assert "amazon:feedback" not in checks  # the Checkout Service's debts are Amazon's
    assert "connector:fraud" in checks and "connector:identity-keys" not in checks
    assert checks["amazon:checkout"]["status"] == "OK"
    # no queue configured: said, not failed
    assert checks["queue:catalog"]["status"] == "SKIPPED"
    assert "polling" in checks["queue:catalog"]["diagnosis"]
    assert run.status == RunStatus.PASSED


def test_a_wrong_secret_key_gives_the_signature_diagnosis(
    wired, settings, monkeypatch, payment_store
):
    settings.JWO_USE_AWS_CREDENTIALS = True  # sign with boto3's chain: the environment's keys
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", settings.JWO_SANDBOX_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    config.credentials.cache_clear()

    run = _run(payment_store)

    assert run.status == RunStatus.FAILED
    for key in ("amazon:catalog", "amazon:payments", "amazon:feedback"):
        check = _by_key(run)[key]
        assert check["status"] == "FAILED" and check["http_status"] == 403
        assert "the signature, the role or the credentials" in check["diagnosis"]
    assert _by_key(run)["connector:purchases"]["status"] == "OK"  # the connector is not Amazon's


def test_a_wrong_url_gives_the_invoke_url_diagnosis(wired, settings, payment_store):
    settings.JWO_CATALOG_URL = f"{wired.url}/sandbox/prod/catalog"  # a stage that is not there
    settings.JWO_CONNECTOR_PUBLIC_URL = f"{wired.url}/prod"

    run = _run(payment_store)

    catalog = _by_key(run)["amazon:catalog"]
    assert catalog["status"] == "FAILED" and catalog["http_status"] == 404
    assert (
        "invoke URL or its stage" in catalog["diagnosis"]
        and "JWO_CATALOG_URL" in catalog["diagnosis"]
    )
    purchases = _by_key(run)["connector:purchases"]
    assert (
        purchases["http_status"] == 404
        and "No method found at this route" in purchases["diagnosis"]
    )
    assert _by_key(run)["amazon:payments"]["status"] == "OK"


def test_an_unreachable_host_gives_the_network_diagnosis(
    wired, settings, closed_port, payment_store
):
    settings.JWO_CATALOG_URL = f"http://127.0.0.1:{closed_port}"
    settings.JWO_CONNECTOR_PUBLIC_URL = f"http://127.0.0.1:{closed_port}"

    run = _run(payment_store)

    catalog = _by_key(run)["amazon:catalog"]
    assert catalog["status"] == "FAILED" and catalog["http_status"] is None
    assert "network problem" in catalog["diagnosis"]
    identity = _by_key(run)["connector:identity-keys"]
    assert identity["status"] == "FAILED" and "network problem" in identity["diagnosis"]
    assert _by_key(run)["amazon:payments"]["status"] == "OK"


def test_amazons_5xx_and_a_hang_give_their_diagnoses(wired, settings, payment_store):
    SandboxFault.objects.create(service="payments", kind=FaultKind.ERROR_503, remaining=1)
    SandboxFault.objects.create(
        service="feedback", kind=FaultKind.TIMEOUT, latency_ms=2500, remaining=1
    )
    settings.JWO_HTTP_READ_TIMEOUT = 1.0

    run = _run(payment_store)

    payments = _by_key(run)["amazon:payments"]
    assert payments["http_status"] == 503 and "Amazon's side failed" in payments["diagnosis"]
    feedback = _by_key(run)["amazon:feedback"]
    assert feedback["http_status"] is None
    assert feedback["diagnosis"].startswith("No answer in time (timeout): a network problem")
    assert run.status == RunStatus.FAILED


def test_the_test_never_charges_nor_creates_a_trip_or_an_order(
    wired, payment_store, checkout_store
):
    _run(payment_store)
    _run(checkout_store)

    calls = list(SandboxCall.objects.all())
    assert {c.operation for c in calls} == HARMLESS
    assert {c.status for c in calls} == {400}  # each refused after its signature passed
    assert all(c.signature_ok for c in calls)
    # Amazon's side: no trip, no checkout order, no refund, no payment report
    assert not SandboxTrip.objects.exists()
    assert not SandboxCheckoutOrder.objects.exists()
    assert not SandboxRefund.objects.exists()
    assert not SandboxPaymentReport.objects.exists()
    # ours: only the connector's refusals are stored, marked as the test's
    assert not Order.objects.exists() and not ShoppingTrip.objects.exists()
    assert not GateDecision.objects.exists()
    requests = list(ConnectorRequest.objects.all())
    assert len(requests) == 5 + 4 and {r.response_status for r in requests} == {400}
    assert all("X-Jwo-Connectivity-Test" in r.headers for r in requests), requests[0].headers


@pytest.mark.django_db
def test_two_clicks_at_once_start_one_run(payment_store):
    first, created = connectivity_run_start(mapping=payment_store, actor=None)
    second, again = connectivity_run_start(mapping=payment_store, actor=None)
    assert created and not again
    assert second.pk == first.pk and first.status == RunStatus.QUEUED


def test_a_run_whose_task_was_lost_is_queued_again_by_the_sweep_and_finishes(
    wired, payment_store, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker took the Run test's task and lost it: the row says QUEUED. A minute later
    beat's sweep sends the task again, and the run is carried out once."""
    from datetime import timedelta

    from django.utils import timezone

    from connectivity import services
    from connectivity.models import ConnectivityRun

    monkeypatch.setattr(services, "send_on_commit", lambda *a, **k: None)  # the lost message
    run, _ = connectivity_run_start(mapping=payment_store, actor=None)
    monkeypatch.undo()
    assert services.connectivity_runs_sweep() == (0, 0)  # asked for just now: left alone

    ConnectivityRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.connectivity_runs_sweep() == (1, 0)
    run.refresh_from_db()
    assert run.status == RunStatus.PASSED, run.checks
    assert services.connectivity_runs_sweep() == (0, 0)  # finished: nothing to queue again
