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
def test_production_payment_hosts_are_refused_and_nothing_is_sent(settings, monkeypatch, service):
    settings.JWO_PAYMENTS_URL = "https://us-east-1.payments.amazonphysicalstores.com"
    settings.JWO_CHECKOUT_URL = "https://us-east-1.checkout.amazonphysicalstores.com/"

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
