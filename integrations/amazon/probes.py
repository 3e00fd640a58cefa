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
probe of the payments and checkout services to a host not known to be a test one: the
connectivity test runs against Amazon's test hosts only (the FAQ's warning that a connectivity
test against production runs real checkouts and real card transactions). Known test hosts are
Amazon's documented ones (``https://{region}.test.payments.amazonphysicalstores.com``, the same
for checkout, as config.py builds them) and the sandbox's own URL (``JWO_SANDBOX_URL``); hosts
are compared lower case and without a trailing dot, and anything else — production, a proxy,
an execute-api URL, a URL two parsers could read differently — is not sent to.
"""

import dataclasses
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from . import config
from .errors import AmazonConfigurationError, AmazonError, AmazonTransientError
from .ratelimit import catalog_limiter
from .transport import AmazonTransport

UNKNOWN_TRIP = "invalid-shopping-trip-uuid"  # Amazon's test id of a trip it does not know
PAYMENT_CHANGING = frozenset({"AdjustCharge", "CaptureCharge", "CancelCharge", "Refund"})
MONEY_SERVICES = ("payments", "checkout")
# Amazon's documented test hosts of the services that take money (config.py builds them with
# ".test"): the region, then ".test.<service>.amazonphysicalstores.com".
_TEST_HOST = re.compile(
    r"^[a-z]{2}(?:-[a-z]+)+-[0-9]+\.test\.(payments|checkout)\.amazonphysicalstores\.com$"
)
_PRODUCTION_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*(payments|checkout)\.amazonphysicalstores\.com$")
_AMAZON_DOMAINS = ("amazonphysicalstores.com", "amazonaws.com", "amazon.com")


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
    body_is_json: bool = False  # the answer's body parsed as a JSON object


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
    if probe.service in MONEY_SERVICES:
        why = _not_a_test_host(probe.service, base_url)
        if why:
            raise ProbeRefused(
                f"{why}; the connectivity test sends {probe.service} probes only to Amazon's "
                f"test host (https://<region>.test.{probe.service}.amazonphysicalstores.com, "
                "JWO_ENVIRONMENT=test) or to the sandbox (JWO_SANDBOX_URL)"
            )


def _host(url: str) -> str:
    """The URL's host, lower case, without a trailing dot ("" when it has none)."""
    return (urlsplit(url).hostname or "").rstrip(".")


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None


def _ambiguous(url: str) -> bool:
    """A URL two parsers could read as two hosts (user info, backslashes, spaces, controls)."""
    netloc = urlsplit(url).netloc
    return "@" in netloc or "\\" in url or any(ch.isspace() or ord(ch) < 32 for ch in url)


def _is_sandbox(url: str) -> bool:
    sandbox = getattr(settings, "JWO_SANDBOX_URL", "") or ""
    if not sandbox or _ambiguous(sandbox) or _ambiguous(url):
        return False
    host = _host(sandbox)
    if not host or any(host == d or host.endswith("." + d) for d in _AMAZON_DOMAINS):
        return False  # a "sandbox" at Amazon's hosts is not the sandbox
    ours, theirs = urlsplit(sandbox), urlsplit(url)
    prefix = ours.path.rstrip("/")
    return (
        ours.scheme.lower() == theirs.scheme.lower()
        and host == _host(url)
        and _port(sandbox) == _port(url)
        and (theirs.path == prefix or theirs.path.startswith(prefix + "/"))
    )


def _not_a_test_host(service: str, base_url: str) -> str:
    """Why ``base_url`` is not known to be a test host of ``service`` ("" when it is)."""
    if _is_sandbox(base_url):
        return ""
    host = _host(base_url)
    if _ambiguous(base_url):
        return f"{base_url!r} is not a plain URL"
    parts = urlsplit(base_url)
    found = _TEST_HOST.match(host)
    https = parts.scheme.lower() == "https" and _port(base_url) == 443
    if found and found.group(1) == service and https:
        return ""
    if _PRODUCTION_HOST.match(host):
        return f"{host} is Amazon's production {service} host"
    return f"{host or base_url!r} is not known to be a test {service} host"


def _message(data: Any) -> str:
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("errorMsg", "message", "Message") if data.get(k)]
        if not parts and data.get("raw"):
            parts = ["not JSON: " + " ".join(str(data["raw"]).split())[:160]]
        return " — ".join(parts)[:500]
    return ""


def _json(data: Any) -> bool:
    return isinstance(data, dict) and set(data) != {"raw"}


def malformed(url: str) -> str:
    """Why ``url`` is not an http(s) URL with a host ("" when it is one)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    if not _host(url):
        return "no host in it"
    if _port(url) is None:
        return "its port is not a number"
    return ""


def run(service: str, *, store_id: str, session: requests.Session | None = None) -> ProbeResult:
    """Send the service's probe once (no retries: the answer itself is what we want to see);
    through ``session`` when given (connectivity/deadline.py bounds its calls' time)."""
    probe = probe_for(service, store_id=store_id)
    try:
        base = config.base_url(service)
    except AmazonConfigurationError as exc:
        return ProbeResult(
            service, probe.operation, "", message=str(exc), error_kind="configuration"
        )
    why = malformed(base)
    if why:
        setting = config.source_setting(service)
        return ProbeResult(
            service,
            probe.operation,
            "",
            message=f"{setting} gives {base[:200]!r}: {why}; set it to the service's https "
            "invoke URL",
            error_kind="configuration",
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
        transport = AmazonTransport(service, session=session)
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
            body_is_json=_json(exc.body),
        )
    return ProbeResult(
        service,
        probe.operation,
        url,
        http_status=response.status,
        message=_message(response.data),
        duration_ms=took(),
        body_is_json=_json(response.data),
    )
