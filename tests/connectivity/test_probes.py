"""The probes' guard: nothing that changes money is ever sent, and never to Amazon's production
payment hosts (checked before any byte leaves)."""

import pytest

from integrations.amazon import probes
from integrations.amazon.transport import AmazonTransport

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("operation", ["AdjustCharge", "CaptureCharge", "CancelCharge", "Refund"])
def test_a_payment_changing_operation_is_refused(operation):
    probe = probes.Probe("payments", operation, "/v1/x", {"storeId": "s"})
    with pytest.raises(probes.ProbeRefused, match="changes a payment"):
        probes.guard(probe, "https://us-east-1.test.payments.amazonphysicalstores.com")


def test_a_checkout_with_lines_or_a_report_with_amounts_is_refused():
    cart = probes.probe_for("checkout", store_id="s")
    with pytest.raises(probes.ProbeRefused):
        probes.guard(
            probes.Probe(
                "checkout", "CheckoutCart", cart.path, {**cart.payload, "lineItems": [{}]}
            ),
            "http://sandbox",
        )
    report = probes.probe_for("feedback", store_id="s")
    amounts = {**report.payload, "totalAmount": {"amount": 1, "code": "USD"}}
    with pytest.raises(probes.ProbeRefused):
        probes.guard(probes.Probe("feedback", report.operation, report.path, amounts), "http://x")


def test_a_probe_names_only_amazons_unknown_test_trip():
    real = {"storeId": "s", "shoppingTripId": "a-real-trip"}
    with pytest.raises(probes.ProbeRefused, match="unknown test trip"):
        probes.guard(probes.Probe("payments", "GetTransactionalData", "/v1/p", real), "http://x")


@pytest.mark.parametrize("service", ["payments", "checkout"])
@pytest.mark.parametrize(
    "url",
    [
        "https://us-east-1.{service}.amazonphysicalstores.com",
        "https://us-east-1.{service}.amazonphysicalstores.com./",  # a trailing dot
        "https://US-EAST-1.{SERVICE}.AMAZONPHYSICALSTORES.COM",
        "https://{service}.amazonphysicalstores.com",
        "https://prod.us-east-1.{service}.amazonphysicalstores.com",
    ],
)
def test_production_payment_hosts_are_refused_and_nothing_is_sent(
    settings, monkeypatch, service, url
):
    target = url.format(service=service, SERVICE=service.upper())
    settings.JWO_PAYMENTS_URL = settings.JWO_CHECKOUT_URL = target

    def never(*args, **kwargs):
        raise AssertionError("a probe was sent to a production payment host")

    monkeypatch.setattr(AmazonTransport, "post", never)
    result = probes.run(service, store_id="jwo-1")
    assert result.error_kind == "refused"
    assert "production" in result.message and result.http_status is None


def test_the_test_hosts_are_allowed():
    for service in ("payments", "checkout"):
        probe = probes.probe_for(service, store_id="jwo-1")
        probes.guard(probe, f"https://us-east-1.test.{service}.amazonphysicalstores.com")


@pytest.mark.parametrize("service", ["payments", "checkout"])
@pytest.mark.parametrize(
    "url",
    [
        "https://jwo-proxy.example.com/{service}",  # a proxy forwards to who knows where
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        "https://us-east-1.test.{service}.amazonphysicalstores.com.evil.example",
        "https://us-east-1.test.{service}.amazonphysicalstores.com@us-east-1.{service}"
        ".amazonphysicalstores.com",
        "http://us-east-1.test.{service}.amazonphysicalstores.com",  # not https
        "https://us-east-1.test.{service}.amazonphysicalstores.com:8443",
        "http://127.0.0.1:8000/{service}",  # not the sandbox's URL
    ],
)
def test_only_known_test_hosts_get_a_money_probe(settings, service, url):
    settings.JWO_SANDBOX_URL = "http://127.0.0.1:8000/sandbox"
    probe = probes.probe_for(service, store_id="jwo-1")
    target = url.format(service=service)
    with pytest.raises(probes.ProbeRefused, match="test host"):
        probes.guard(probe, target)


def test_the_sandbox_and_the_test_hosts_are_allowed_in_any_spelling(settings):
    settings.JWO_SANDBOX_URL = "http://127.0.0.1:8000/sandbox/"
    for service in ("payments", "checkout"):
        probe = probes.probe_for(service, store_id="jwo-1")
        probes.guard(probe, f"http://127.0.0.1:8000/sandbox/{service}")
        probes.guard(probe, f"https://EU-WEST-1.TEST.{service.upper()}.amazonphysicalstores.com")
        probes.guard(probe, f"https://us-east-1.test.{service}.amazonphysicalstores.com:443")
        probes.guard(probe, f"https://us-east-1.test.{service}.amazonphysicalstores.com./")
        with pytest.raises(probes.ProbeRefused):  # the other service's test host
            other = "checkout" if service == "payments" else "payments"
            probes.guard(probe, f"https://us-east-1.test.{other}.amazonphysicalstores.com")
        with pytest.raises(probes.ProbeRefused):  # a path beside the sandbox's
            probes.guard(probe, f"http://127.0.0.1:8000/sandboxes/{service}")


def test_a_sandbox_url_at_amazons_hosts_is_not_the_sandbox(settings):
    settings.JWO_SANDBOX_URL = "https://us-east-1.payments.amazonphysicalstores.com"
    probe = probes.probe_for("payments", store_id="jwo-1")
    with pytest.raises(probes.ProbeRefused, match="production"):
        probes.guard(probe, "https://us-east-1.payments.amazonphysicalstores.com/")
