"""What Run test checks for a store, and how each answer reads in plain words.

The plan (``checks_plan``) follows what the store uses (its mapping): the Catalog API; the
Payment Service, or the Checkout Service for a Checkout Service store; the F&A Feedback API
where Amazon tracks the shopper's balance (payments/reports.py ``reports_amazon``); the SQS
queues the console reads; and each connector endpoint Amazon calls for the store, through the
console's public URL with the shared secret. ``check_run`` runs one planned check; nothing it
sends can charge, create a trip or an order (integrations/amazon/probes.py, and the connector
probe is an incomplete request the pipeline refuses before storing anything but the refusal).

Diagnoses are the FAQ's (the project's seeds, "connectivity-test errors"): 403 — signature, role
or credentials; 404 — invoke URL or stage; 5xx — the other side; timeout or refused — network.
"""

import time
from typing import Any

import requests
from django.conf import settings

from integrations.amazon import config as amazon_config
from integrations.amazon import probes
from integrations.amazon.errors import AmazonConfigurationError
from stores.choices import FraudAbuseStrategy, PaymentMode
from stores.models import JwoStoreMapping

from . import queues
from .choices import CheckKind, CheckStatus

CONNECTIVITY_HEADER = "X-JWO-Connectivity-Test"

AMAZON_NAMES = {
    "catalog": "Catalog API (Sync Items)",
    "payments": "Payment Service (charges, receipts)",
    "checkout": "Checkout Service",
    "feedback": "F&A Feedback API (ReportPaymentStatus)",
}
_URL_SETTING = {
    "catalog": "JWO_CATALOG_URL",
    "payments": "JWO_PAYMENTS_URL",
    "checkout": "JWO_CHECKOUT_URL",
    "feedback": "JWO_FEEDBACK_URL",
}

# (key, name, path); which of them a store uses: connector_endpoints
CONNECTOR_ENDPOINTS = (
    ("identity-keys", "VerifyIdentityKeys (app entry)", "/v1/identity/identity-keys"),
    ("shopper", "GetShopper (Scan Key Codes)", "/v1/identity/shopper"),
    ("scan", "ResolveScan (loyalty)", "/v1/identity/scan"),
    ("scan-details", "GetScanDetails (loyalty)", "/v1/identity/scan/details"),
    ("fraud", "F&A shopper authorization (card entry)", "/v1/fraudandabuse/shopperauthorization"),
    ("purchases", "CreatePurchases (carts at exit)", "/v1/order/purchases"),
)

NETWORK = (
    "a network problem between this server and {what}: check the host and port in the URL, "
    "DNS, firewalls or security groups, and any proxy on the way"
)


def amazon_services(mapping: JwoStoreMapping) -> list[str]:
    uses = ["catalog"]
    if mapping.payment_mode == PaymentMode.CHECKOUT_SERVICE:
        uses.append("checkout")
    else:
        uses.append("payments")
        if mapping.fa_strategy == FraudAbuseStrategy.AMAZON_MANAGED:
            uses.append("feedback")  # payments/reports.py reports_amazon
    return uses


def connector_endpoints(mapping: JwoStoreMapping) -> list[tuple[str, str, str]]:
    used = {"scan", "scan-details", "purchases"}  # every mapping has a loyalty provider
    if mapping.entry_app:
        used |= {"identity-keys", "shopper"}
    if mapping.entry_card and mapping.fa_strategy == FraudAbuseStrategy.RETAILER_MANAGED:
        used.add("fraud")
    return [e for e in CONNECTOR_ENDPOINTS if e[0] in used]


def connector_base_url() -> str:
    return (settings.JWO_CONNECTOR_PUBLIC_URL or settings.PORTAL_BASE_URL).rstrip("/")


def _check(key: str, kind: str, name: str, target: str) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "name": name,
        "target": target,
        "status": CheckStatus.PENDING.value,
        "http_status": None,
        "detail": "",
        "diagnosis": "",
        "duration_ms": None,
    }


def _amazon_target(service: str) -> str:
    try:
        return amazon_config.base_url(service)
    except AmazonConfigurationError:
        return f"{_URL_SETTING[service]} not set"


def checks_plan(*, mapping: JwoStoreMapping) -> list[dict[str, Any]]:
    """Every check the store's run will make, all waiting."""
    planned = [
        _check(f"amazon:{s}", CheckKind.AMAZON, AMAZON_NAMES[s], _amazon_target(s))
        for s in amazon_services(mapping)
    ]
    planned += [
        _check(f"queue:{q.key}", CheckKind.QUEUE, q.name, q.target) for q in queues.planned()
    ]
    base = connector_base_url()
    planned += [
        _check(f"connector:{key}", CheckKind.CONNECTOR, name, f"{base}{path}")
        for key, name, path in connector_endpoints(mapping)
    ]
    return planned


# -- diagnoses ------------------------------------------------------------------------------------


def amazon_verdict(result: probes.ProbeResult) -> tuple[str, str]:
    """(check status, diagnosis in plain words) of an Amazon probe."""
    setting = _URL_SETTING[result.service]
    if result.error_kind == "refused":
        return CheckStatus.SKIPPED, f"Not sent: {result.message}."
    if result.error_kind == "configuration":
        return CheckStatus.FAILED, f"Not configured: {result.message}"
    if result.error_kind == "timeout":
        return CheckStatus.FAILED, "No answer in time (timeout): " + NETWORK.format(what="Amazon")
    if result.error_kind == "connection":
        return (
            CheckStatus.FAILED,
            "Could not connect (refused or host not found): " + NETWORK.format(what="Amazon"),
        )
    status = result.http_status or 0
    if status in (401, 403):
        text = (
            f"Amazon refused the call (HTTP {status}): the signature, the role or the credentials. "
            "Check the AWS key pair (or JWO_ROLE_ARN and the role's trust policy), that the role "
            "may execute-api:Invoke Amazon's API, that JWO_REGION is the host's region, and that "
            "Amazon has onboarded this AWS account for the method (Merchant Portal → Settings → "
            "Developer Settings → Connector Configurations)."
        )
        if "Missing Authentication Token" in result.message:
            text += (
                f" API Gateway answers this also for a path that does not exist: check {setting}."
            )
        return CheckStatus.FAILED, text
    if status == 404:
        return CheckStatus.FAILED, (
            f"Nothing answers at this address (HTTP 404): the invoke URL or its stage is wrong. "
            f"Check {setting} against the invoke URL Amazon gave you, stage included."
        )
    if status == 429:
        return (
            CheckStatus.FAILED,
            "Amazon throttled the call (HTTP 429): run the test again shortly.",
        )
    if status >= 500:
        return CheckStatus.FAILED, (
            f"Amazon's side failed (HTTP {status}): not a setting of yours. Try again later; "
            "tell your Amazon contact if it persists."
        )
    if 300 <= status < 400:
        return CheckStatus.FAILED, (
            f"Redirected (HTTP {status}): {setting} is not the service's invoke URL."
        )
    return CheckStatus.OK, (
        f"Reachable, and the signature is accepted (HTTP {status} to the harmless "
        f"{result.operation} probe, as expected)."
    )


def connector_verdict(http_status: int | None, error_kind: str = "") -> tuple[str, str]:
    if error_kind == "timeout":
        return CheckStatus.FAILED, "No answer in time (timeout): " + NETWORK.format(
            what="the console's public URL (JWO_CONNECTOR_PUBLIC_URL)"
        )
    if error_kind:
        return CheckStatus.FAILED, "Could not connect (refused or host not found): " + (
            NETWORK.format(what="the console's public URL (JWO_CONNECTOR_PUBLIC_URL)")
        )
    status = http_status or 0
    if status == 400:
        return CheckStatus.OK, (
            "Answers through the public URL and accepts the shared secret (HTTP 400 to the "
            "incomplete probe, as expected; only the refusal is stored)."
        )
    if status == 401:
        return CheckStatus.FAILED, (
            "The shared secret was refused (HTTP 401): the console at this URL has another "
            "JWO_CONNECTOR_SECRET, or a proxy drops the X-JWO-Connector-Secret header."
        )
    if status == 403:
        return CheckStatus.FAILED, (
            "Refused in front of the console (HTTP 403): the API Gateway, proxy or firewall "
            "before it — its resource policy, role or credentials."
        )
    if status == 404:
        return CheckStatus.FAILED, (
            "No method found at this route (HTTP 404): the URL or the stage is wrong. The "
            "onboarded URL is the host itself (the connector serves /v1/… at its root); check "
            "JWO_CONNECTOR_PUBLIC_URL and the URL onboarded in the Merchant Portal."
        )
    if status >= 500:
        return CheckStatus.FAILED, (
            f"The console or the gateway in front of it failed (HTTP {status}): an unhandled "
            "error (the console's log), or the gateway's permission to reach the console."
        )
    if 200 <= status < 300:
        return CheckStatus.FAILED, (
            f"HTTP {status} to an incomplete request: this URL does not reach the console's "
            "connector (another service answers there)."
        )
    return CheckStatus.FAILED, (
        f"Unexpected HTTP {status}: a proxy on the way changed the request (method, size or "
        "content type)."
    )


# -- running one check ----------------------------------------------------------------------------


def _connector_probe(url: str, *, store_id: str, run_id: int) -> tuple[int | None, str, str]:
    """POST an authenticated but incomplete request: (status, its message, error kind)."""
    headers = {
        "Content-Type": "application/json",
        "X-JWO-Connector-Secret": settings.JWO_CONNECTOR_SECRET,
        CONNECTIVITY_HEADER: str(run_id),
    }
    try:
        response = requests.post(
            url,
            json={"storeId": store_id},
            headers=headers,
            timeout=(settings.JWO_HTTP_CONNECT_TIMEOUT, settings.JWO_HTTP_READ_TIMEOUT),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        kind = "connection" if isinstance(exc, requests.ConnectTimeout) else "timeout"
        return None, str(exc)[:300], kind
    except requests.RequestException as exc:
        return None, str(exc)[:300], "connection"
    try:
        message = str(response.json().get("message", ""))[:300]
    except ValueError:
        message = "not JSON: " + " ".join(response.text.split())[:160]
    except AttributeError:
        message = ""
    return response.status_code, message, ""


def check_run(check: dict[str, Any], *, mapping: JwoStoreMapping, run_id: int) -> dict[str, Any]:
    """The check filled in with its outcome."""
    kind, _, key = check["key"].partition(":")
    started = time.monotonic()
    done = dict(check)
    if kind == "amazon":
        result = probes.run(key, store_id=mapping.jwo_store_id)
        status, diagnosis = amazon_verdict(result)
        done.update(
            target=result.url or check["target"],
            http_status=result.http_status,
            detail=f"{result.operation}: {result.message}" if result.message else result.operation,
        )
    elif kind == "queue":
        outcome = queues.check(key)
        status, diagnosis = outcome.status, outcome.diagnosis
        done.update(target=outcome.target or check["target"], detail=outcome.detail)
    else:
        http_status, message, error = _connector_probe(
            check["target"], store_id=mapping.jwo_store_id, run_id=run_id
        )
        status, diagnosis = connector_verdict(http_status, error)
        done.update(http_status=http_status, detail=message)
    done.update(
        status=str(status),
        diagnosis=diagnosis,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return done
