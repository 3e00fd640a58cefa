"""Harmless calls that prove an Amazon service is reachable and accepts our SigV4 signature.

Each probe is a read, or a request Amazon must refuse after the signature passed, about an id
Amazon's test pages reserve for "unknown" (``invalid-shopping-trip-uuid``, integrations'
sandbox plays it in sandbox/trips.py). Nothing a probe sends can move money or create a trip or
an order:

- catalog: GetCatalogUploadStatus of an ingestion id no upload has (a read; 400 expected);
- payments: GetTransactionalData of the unknown test trip (a read; 400 expected);
- checkout: CheckoutCart of the unknown test trip with **no lines** (refused for its content
  before any trip is looked up; 400 expected);
- feedback: ReportPaymentStatus of the unknown test trip **without amounts** (refused for its
  shape; 400 expected).

``guard`` refuses, before anything is sent, any operation that changes a payment (AdjustCharge,
CaptureCharge, CancelCharge, Refund), a checkout or report that carries anything, and every
probe of the payments and checkout services against Amazon's *production* hosts: the
connectivity test runs against Amazon's test hosts only (the FAQ's warning that a connectivity
test against production runs real checkouts and real card transactions).
"""

import dataclasses
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import config
from .errors import AmazonConfigurationError, AmazonError, AmazonTransientError
from .ratelimit import catalog_limiter
from .transport import AmazonTransport

UNKNOWN_TRIP = "invalid-shopping-trip-uuid"  # Amazon's test id of a trip it does not know
PAYMENT_CHANGING = frozenset({"AdjustCharge", "CaptureCharge", "CancelCharge", "Refund"})
# Amazon's production hosts of the services that take money (integrations/amazon/config.py
# builds the test ones with ".test").
_PRODUCTION_MONEY_HOST = re.compile(r"^[a-z0-9-]+\.(payments|checkout)\.amazonphysicalstores\.com$")


class ProbeRefused(Exception):
    """The probe was not sent: it could change money, or the host is a production one."""


@dataclass(frozen=True)
class Probe:
    service: str
    operation: str
    path: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ProbeResult:
    """What came back: an HTTP status (and Amazon's words), or the error that stopped it."""

    service: str
    operation: str
    url: str
    http_status: int | None = None
    message: str = ""
    error_kind: str = ""  # "", "timeout", "connection", "configuration", "refused"
    duration_ms: int = 0


def probe_for(service: str, *, store_id: str) -> Probe:
    if service == "catalog":
        ingestion = f"connectivity-test-{uuid.uuid4()}"
        return Probe(
            service,
            "GetCatalogUploadStatus",
            "/v1/catalog/getCatalogUploadStatus",
            {"ingestionId": ingestion},
        )
    trip = {"storeId": store_id, "shoppingTripId": UNKNOWN_TRIP}
    if service == "payments":
        return Probe(service, "GetTransactionalData", "/v1/payment/transactional-data", trip)
    if service == "checkout":
        payload = {
            "idempotentShoppingTripId": UNKNOWN_TRIP,
            "storeId": store_id,
            "lineItems": [],
            "orderTotals": {},
        }
        return Probe(service, "CheckoutCart", "/v1/checkout/carts", payload)
    if service == "feedback":
        return Probe(service, "ReportPaymentStatus", "/v1/feedback/payment-status", trip)
    raise ValueError(f"no probe for {service!r}")


def guard(probe: Probe, base_url: str) -> None:
    """Raise ``ProbeRefused`` unless the probe cannot change anything at Amazon."""
    if probe.operation in PAYMENT_CHANGING:
        raise ProbeRefused(f"{probe.operation} changes a payment; a probe never sends it")
    if probe.operation == "CheckoutCart" and probe.payload.get("lineItems"):
        raise ProbeRefused("a checkout probe carries no lines")
    if probe.operation == "ReportPaymentStatus" and (
        "totalAmount" in probe.payload or "settledAmount" in probe.payload
    ):
        raise ProbeRefused("a feedback probe carries no amounts")
    if (
        probe.payload.get("shoppingTripId", UNKNOWN_TRIP) != UNKNOWN_TRIP
        or probe.payload.get("idempotentShoppingTripId", UNKNOWN_TRIP) != UNKNOWN_TRIP
    ):
        raise ProbeRefused("a probe names only Amazon's unknown test trip")
    host = (urlsplit(base_url).hostname or "").lower()
    if probe.service in ("payments", "checkout") and _PRODUCTION_MONEY_HOST.match(host):
        raise ProbeRefused(
            f"{host} is Amazon's production {probe.service} host; the connectivity test runs "
            "against the test host only (JWO_ENVIRONMENT=test, or a .test URL)"
        )


def _message(data: Any) -> str:
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("errorMsg", "message", "Message") if data.get(k)]
        if not parts and data.get("raw"):
            parts = ["not JSON: " + " ".join(str(data["raw"]).split())[:160]]
        return " — ".join(parts)[:500]
    return ""


def run(service: str, *, store_id: str) -> ProbeResult:
    """Send the service's probe once (no retries: the answer itself is what we want to see)."""
    probe = probe_for(service, store_id=store_id)
    try:
        base = config.base_url(service)
    except AmazonConfigurationError as exc:
        return ProbeResult(
            service, probe.operation, "", message=str(exc), error_kind="configuration"
        )
    url = f"{base}{probe.path}"
    try:
        guard(probe, base)
    except ProbeRefused as exc:
        return ProbeResult(service, probe.operation, url, message=str(exc), error_kind="refused")
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        transport = AmazonTransport(service)
        transport.cfg = dataclasses.replace(transport.cfg, max_attempts=1)
        if service == "catalog":  # every catalog call takes a token of the shared limiter
            catalog_limiter().acquire()
        response = transport.post(
            operation=probe.operation,
            path=probe.path,
            payload=probe.payload,
            retry_safe=False,
            store_id=store_id,
        )
    except AmazonConfigurationError as exc:
        return ProbeResult(
            service, probe.operation, url, message=str(exc), error_kind="configuration"
        )
    except AmazonError as exc:
        if exc.http_status is None:
            text = str(exc.__cause__ or exc)
            timed_out = isinstance(exc, AmazonTransientError) and "Timeout" in str(exc)
            kind = "timeout" if timed_out else "connection"
            return ProbeResult(
                service,
                probe.operation,
                url,
                message=text[:500],
                error_kind=kind,
                duration_ms=took(),
            )
        return ProbeResult(
            service,
            probe.operation,
            url,
            http_status=exc.http_status,
            message=_message(exc.body) or str(exc)[:500],
            duration_ms=took(),
        )
    return ProbeResult(
        service,
        probe.operation,
        url,
        http_status=response.status,
        message=_message(response.data),
        duration_ms=took(),
    )
