"""Retries as a careful integrator does them, over real HTTP against the sandbox's faults."""

import socket
from decimal import Decimal

import pytest
from django.conf import settings

from integrations.amazon.errors import AmazonRejectedError, AmazonTransientError
from integrations.amazon.money import PaymentMoney
from integrations.amazon.payments import PaymentsClient, TripRef
from integrations.amazon.transport import AmazonTransport
from jwo_console.models import AmazonApiCall
from sandbox.models import SandboxCall, SandboxFault, SandboxTrip

REF = TripRef(store_id="jwo-store-1", shopping_trip_id="test-ok-retry")
USD = PaymentMoney(Decimal("12.00"), "USD")


def fault(kind, operation="*", service="payments", **kw):
    return SandboxFault.objects.create(service=service, operation=operation, kind=kind, **kw)


def statuses(operation: str) -> list[int]:
    return list(
        SandboxCall.objects.filter(operation=operation)
        .order_by("pk")
        .values_list("status", flat=True)
    )


def test_429_is_retried_after_the_retry_after_seconds(clients, sleeps):
    fault("429", "AdjustCharge", remaining=2, retry_after=3)
    assert clients.payments.adjust_charge(REF, USD).status == "APPROVED"
    assert sleeps == [3, 3]  # honoured Retry-After, in seconds
    assert statuses("AdjustCharge") == [429, 429, 200]
    attempts = AmazonApiCall.objects.filter(operation="AdjustCharge").order_by("pk")
    assert [(a.attempt, a.http_status) for a in attempts] == [(1, 429), (2, 429), (3, 200)]


def test_429_is_retried_even_for_capture_since_amazon_did_not_process_it(clients, sleeps):
    clients.payments.adjust_charge(REF, USD)
    fault("429", "CaptureCharge", remaining=1, retry_after=1)
    clients.payments.capture_charge(REF, USD)
    assert statuses("CaptureCharge") == [429, 200]
    assert SandboxTrip.objects.get(trip_id=REF.shopping_trip_id).captured_amount == Decimal("12.00")


def test_a_long_retry_after_is_handed_back_to_the_caller(clients, sleeps):
    fault("429", "AdjustCharge", remaining=1, retry_after=600)
    with pytest.raises(AmazonTransientError) as exc:
        clients.payments.adjust_charge(REF, USD)
    assert exc.value.retry_after == 600 and exc.value.http_status == 429
    assert sleeps == []  # a worker does not sleep for 10 minutes
    assert statuses("AdjustCharge") == [429]


def test_503_and_500_are_retried_with_backoff_for_safe_operations(clients, sleeps):
    fault("503", "AdjustCharge", remaining=1)
    fault("500", "AdjustCharge", remaining=1)
    assert clients.payments.adjust_charge(REF, USD).status == "APPROVED"
    assert statuses("AdjustCharge") == [503, 500, 200]
    assert len(sleeps) == 2 and all(0 < s <= 8.5 for s in sleeps)


def test_503_on_capture_is_not_repeated_by_the_transport(clients, sleeps):
    clients.payments.adjust_charge(REF, USD)
    fault("503", "CaptureCharge", remaining=1)
    with pytest.raises(AmazonTransientError) as exc:
        clients.payments.capture_charge(REF, USD)
    assert exc.value.http_status == 503
    assert statuses("CaptureCharge") == [503]
    assert sleeps == []


def test_no_retry_on_a_400(clients, sleeps):
    with pytest.raises(AmazonRejectedError):
        clients.payments.adjust_charge(
            TripRef(store_id="jwo-store-1", shopping_trip_id="nobody-knows-this-trip"), USD
        )
    assert statuses("AdjustCharge") == [400]
    assert sleeps == []


def test_gives_up_after_the_last_attempt(clients, sleeps, settings):
    fault("503", "GetTransactionalData")  # until removed
    with pytest.raises(AmazonTransientError):
        clients.payments.get_transactional_data(REF)
    assert statuses("GetTransactionalData") == [503] * settings.JWO_HTTP_MAX_ATTEMPTS


def test_a_read_timeout_is_retried_for_a_read(sandbox, sleeps, settings):
    settings.JWO_HTTP_READ_TIMEOUT = 0.5
    fault("TIMEOUT", "GetTransactionalData", remaining=1, latency_ms=1500)
    client = PaymentsClient(AmazonTransport("payments", sleep=sleeps))
    data = client.get_transactional_data(REF)
    assert data.tail
    attempts = AmazonApiCall.objects.filter(operation="GetTransactionalData").order_by("pk")
    assert [a.http_status for a in attempts] == [None, 200]
    assert "ReadTimeout" in attempts[0].error


def test_added_latency_still_answers(clients):
    fault("LATENCY", "CancelCharge", remaining=1, latency_ms=300)
    clients.payments.cancel_charge(REF)
    call = SandboxCall.objects.get(operation="CancelCharge")
    assert call.status == 200 and call.duration_ms >= 300


def test_connection_refused_is_retried_even_for_capture(sandbox, sleeps, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    settings.JWO_PAYMENTS_URL = f"http://127.0.0.1:{free_port}"  # nothing listens there
    client = PaymentsClient(AmazonTransport("payments", sleep=sleeps))
    with pytest.raises(AmazonTransientError):
        client.capture_charge(REF, USD)
    assert len(sleeps) == settings.JWO_HTTP_MAX_ATTEMPTS - 1
    assert (
        AmazonApiCall.objects.filter(operation="CaptureCharge").count()
        == settings.JWO_HTTP_MAX_ATTEMPTS
    )


def test_calls_reuse_one_kept_alive_connection_per_thread(clients, monkeypatch):
    """A worker's Amazon calls share this thread's session, so its connection to Amazon is kept
    alive (one TCP connection for several calls, over real HTTP to the sandbox), and the proxy
    variables are not read again on every call when none is set."""
    import threading

    import urllib3.util.connection

    from integrations.amazon import transport as transport_module

    opened = []
    original = urllib3.util.connection.create_connection

    def counting(*args, **kwargs):
        opened.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    for _ in range(3):  # a new client each time, as the payment engine makes them
        PaymentsClient(AmazonTransport("payments")).adjust_charge(REF, USD)
    assert len(opened) <= 1  # (none if this thread had called the sandbox already)
    opened.clear()
    PaymentsClient(AmazonTransport("payments")).adjust_charge(REF, USD)
    assert opened == []  # the kept-alive connection
    # Idle longer than the server may keep it: dropped, so the server can't close it under the
    # next request (a capture would otherwise be an unknown outcome Amazon never saw).
    session = transport_module.shared_session("payments")
    session._jwo_last_used -= settings.JWO_HTTP_KEEPALIVE_IDLE_SECONDS + 1
    PaymentsClient(AmazonTransport("payments")).adjust_charge(REF, USD)
    assert len(opened) == 1
    session = transport_module.shared_session("payments")
    assert AmazonTransport("payments").session is session
    assert session.trust_env is False  # no proxy in this environment
    elsewhere = {}
    thread = threading.Thread(
        target=lambda: elsewhere.update(s=transport_module.shared_session("payments"))
    )
    thread.start()
    thread.join()
    assert elsewhere["s"] is not session  # a session is never shared between threads
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setattr(transport_module, "_SESSIONS", threading.local())
    assert transport_module.shared_session("payments").trust_env is True
