"""What Run test checks for a store, and how each answer reads in plain words.

The plan (``checks_plan``) follows what the store uses (its mapping): the Catalog API; the
Payment Service, or the Checkout Service for a Checkout Service store; the F&A Feedback API
where Amazon tracks the shopper's balance (payments/reports.py ``reports_amazon``); the SQS
queues the console reads; and each connector endpoint Amazon calls for the store, through the
console's public URL with the shared secret. ``check_run`` runs one planned check; nothing it
sends can charge, create a trip or an order (integrations/amazon/probes.py, and the connector
probe is an incomplete request the pipeline refuses before storing anything but the refusal).

Only the expected refusal passes: Amazon's JSON 400 once the signature is accepted, the
connector's own JSON refusal naming a field of the probe (connector/pipeline.py ``refusal``); any
other answer fails saying what answered instead. Behind the documented API Gateway (which checks
Amazon's IAM signature) an unsigned connector probe cannot get through: that answer is
*Inconclusive* (reachable, the connector not reached). Each check ends within
``JWO_CONNECTIVITY_CHECK_SECONDS`` however slowly the other side answers (deadline.py).

Diagnoses are the FAQ's (the project's seeds, "connectivity-test errors"): 403 — signature, role
or credentials; 404 — invoke URL or stage; 5xx — the other side; timeout or refused — network.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from integrations.amazon import config as amazon_config
from integrations.amazon import probes
from integrations.amazon.errors import AmazonConfigurationError
from stores.choices import FraudAbuseStrategy, PaymentMode
from stores.models import JwoStoreMapping

from . import queues
from .choices import CheckKind, CheckStatus
from .deadline import DeadlineSession

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
    """(check status, diagnosis in plain words) of an Amazon probe. Only the refusal Amazon
    gives once the signature passed — a 400 in JSON — is a pass."""
    setting = amazon_config.source_setting(result.service)
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
    if status == 400 and result.body_is_json:
        return CheckStatus.OK, (
            f"Reachable, and the signature is accepted (HTTP 400 to the harmless "
            f"{result.operation} probe, as expected)."
        )
    if status == 400:
        return CheckStatus.FAILED, (
            f"HTTP 400, but not in JSON: a web server or proxy answered, not Amazon's API. "
            f"Check {setting}."
        )
    if 200 <= status < 300:
        return CheckStatus.FAILED, (
            f"Answered {status} to a request Amazon refuses: this is not Amazon's API, check "
            f"the URL ({setting})."
        )
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
    if status == 405:
        return CheckStatus.FAILED, (
            f"HTTP 405 (method not allowed): the address does not take this POST, so it is not "
            f"the service's invoke URL. Check {setting}."
        )
    if status == 407:
        return CheckStatus.FAILED, (
            "HTTP 407: a proxy between this server and Amazon asks for its own login "
            "(HTTPS_PROXY and its credentials); the call did not reach Amazon."
        )
    if status == 413:
        return CheckStatus.FAILED, (
            "HTTP 413 (too large) to a probe of a few bytes: a proxy or server that is not "
            f"Amazon's answers. Check {setting} and any proxy on the way."
        )
    return CheckStatus.FAILED, (
        f"Unexpected HTTP {status}: not an answer Amazon gives to this probe; something else "
        f"answers at {setting} (a proxy?)."
    )


@dataclass(frozen=True)
class ConnectorAnswer:
    """What came back from a connector probe."""

    http_status: int | None = None
    data: Any = None  # the JSON body, or None when it was not JSON
    text: str = ""  # the first words of a body that was not JSON
    error_kind: str = ""  # "", "timeout", "connection", "configuration", "refused"
    message: str = ""


# API Gateway's own 403s when an IAM-authorised API gets an unsigned request.
_GATEWAY_SIGNATURE = (
    "missing authentication token",
    "signature",
    "authorization header",
    "credential",
    "security token",
)


def _refused_fields(data: Any) -> list[str] | None:
    """The fields named by the connector's refusal (connector/pipeline.py ``refusal``), or None
    when ``data`` does not have its shape."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    errors = data.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("field"), str) for e in errors):
        return None
    return [e["field"] for e in errors]


def _gateway_wants_signature(answer: ConnectorAnswer) -> bool:
    data = answer.data
    words = (
        " ".join(str(data.get(k, "")) for k in ("message", "Message") if isinstance(data, dict))
        or answer.text
    )
    words = words.lower()
    return any(w in words for w in _GATEWAY_SIGNATURE)


def connector_verdict(answer: ConnectorAnswer, *, setting: str) -> tuple[str, str]:
    """Only the connector's own refusal of the incomplete probe — a JSON 400 naming a field of
    the payload — passes: the route is the connector's and the shared secret was accepted."""
    where = f"the console's public URL ({setting})"
    if answer.error_kind == "configuration":
        return CheckStatus.FAILED, "Not configured: " + answer.message
    if answer.error_kind == "refused":
        return CheckStatus.SKIPPED, "Not sent: " + answer.message
    if answer.error_kind == "timeout":
        return CheckStatus.FAILED, "No answer in time (timeout): " + NETWORK.format(what=where)
    if answer.error_kind:
        return CheckStatus.FAILED, "Could not connect (refused or host not found): " + (
            NETWORK.format(what=where)
        )
    status = answer.http_status or 0
    fields = _refused_fields(answer.data)
    ours = fields is not None
    if answer.data is None:
        what = f"a page that is not JSON ({answer.text[:80]!r})" if answer.text else "no body"
    else:
        what = "JSON that is not the connector's refusal"
    if status == 400 and ours and fields == ["Host"]:
        return CheckStatus.FAILED, (
            "The console's connector answers, but refuses the host in the URL (HTTP 400 naming "
            "Host: it is not in ALLOWED_HOSTS). Add the host of "
            f"{setting} to ALLOWED_HOSTS; the shared secret was not checked."
        )
    if status == 400 and ours and any(f and f != "Host" for f in fields or ()):
        return CheckStatus.OK, (
            "Answers through the public URL and accepts the shared secret (HTTP 400 to the "
            "incomplete probe, as expected; only the refusal is stored)."
        )
    if status == 400 and ours:
        return CheckStatus.FAILED, (
            "The console's connector refused the request before reading its fields (HTTP 400: "
            f"{str(answer.data.get('message'))[:120]}): a proxy on the way changed the body."
        )
    if status == 400:
        return CheckStatus.FAILED, (
            f"HTTP 400 with {what}: not the console's connector. A proxy or web server answers "
            f"at {setting} — or, for an HTML page, Django's own page for a host outside "
            "ALLOWED_HOSTS."
        )
    secret_refused = isinstance(answer.data, dict) and "X-JWO-Connector-Secret" in str(
        answer.data.get("message", "")
    )  # connector/pipeline.py: the connector's 401
    if status == 401 and secret_refused:
        return CheckStatus.FAILED, (
            "The shared secret was refused (HTTP 401): the console at this URL has another "
            "JWO_CONNECTOR_SECRET, or a proxy drops the X-JWO-Connector-Secret header."
        )
    if status == 401:
        return CheckStatus.FAILED, (
            f"HTTP 401 with {what}: something in front of the console asks for its own login; "
            "the request did not reach the connector."
        )
    if status == 403 and _gateway_wants_signature(answer):
        return CheckStatus.INCONCLUSIVE, (
            "The gateway answers and asks for Amazon's signature (HTTP 403): reachable; the "
            "connector behind it is not reached by this test (only Amazon's signed calls pass "
            "the gateway)."
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
            f"{setting} and the URL onboarded in the Merchant Portal."
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

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def connector_setting() -> str:
    return "JWO_CONNECTOR_PUBLIC_URL" if settings.JWO_CONNECTOR_PUBLIC_URL else "PORTAL_BASE_URL"


def _connector_url_problem(url: str) -> ConnectorAnswer | None:
    """The answer not to send (a malformed URL, or the secret over plain http), or None."""
    setting = connector_setting()
    why = probes.malformed(url)
    if why:
        return ConnectorAnswer(
            error_kind="configuration",
            message=f"{setting} gives {connector_base_url()[:200]!r}: {why}; set it to the "
            "console's public https URL (the one onboarded in the Merchant Portal).",
        )
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() == "http" and host not in _LOCAL_HOSTS:
        return ConnectorAnswer(
            error_kind="refused",
            message=f"{setting} is plain http to {host}: the shared secret is never sent "
            "unencrypted except to this machine (localhost, 127.0.0.1). Use the https URL.",
        )
    return None


def _connector_probe(
    url: str, *, store_id: str, run_id: int, session: requests.Session
) -> ConnectorAnswer:
    """POST an authenticated but incomplete request and read what answers."""
    problem = _connector_url_problem(url)
    if problem is not None:
        return problem
    headers = {
        "Content-Type": "application/json",
        "X-JWO-Connector-Secret": settings.JWO_CONNECTOR_SECRET,
        CONNECTIVITY_HEADER: str(run_id),
    }
    try:
        response = session.post(
            url,
            json={"storeId": store_id},
            headers=headers,
            timeout=(settings.JWO_HTTP_CONNECT_TIMEOUT, settings.JWO_HTTP_READ_TIMEOUT),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        kind = "connection" if isinstance(exc, requests.ConnectTimeout) else "timeout"
        return ConnectorAnswer(error_kind=kind, message=str(exc)[:300])
    except requests.RequestException as exc:
        return ConnectorAnswer(error_kind="connection", message=str(exc)[:300])
    try:
        data = response.json()
    except ValueError:
        data = None
    if data is not None and not isinstance(data, dict):
        data = {"value": data}
    text = " ".join(response.text.split())[:160] if data is None else ""
    if isinstance(data, dict):
        message = str(data.get("message", data.get("Message", "")))[:300]
    else:
        message = f"not JSON: {text}" if text else ""
    return ConnectorAnswer(response.status_code, data, text, "", message)


def _out_of_time(seconds: float) -> str:
    return (
        f"No complete answer within {seconds:g} s (the check's bound, "
        "JWO_CONNECTIVITY_CHECK_SECONDS): the other side answers too slowly, a few bytes at a "
        "time — a proxy or server that holds connections open. "
    )


def _queue_check_within(key: str, seconds: float) -> queues.QueueOutcome | None:
    """The queue's check, or None when it did not end within ``seconds``. boto3's calls cannot
    be cut short like the session's: an overrunning one is left to end on its own (its own
    connect and read timeouts) in a daemon thread, and the run goes on."""
    found: list[queues.QueueOutcome] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            found.append(queues.check(key))
        except BaseException as exc:  # handed back to the caller below
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"connectivity-{key}", daemon=True)
    worker.start()
    worker.join(seconds)
    if failure:
        raise failure[0]
    return found[0] if found else None


def check_run(
    check: dict[str, Any],
    *,
    mapping: JwoStoreMapping,
    run_id: int,
    seconds: float | None = None,
) -> dict[str, Any]:
    """The check filled in with its outcome, within ``seconds`` (JWO_CONNECTIVITY_CHECK_SECONDS
    when not given) however slowly the other side answers (connectivity/deadline.py)."""
    kind, _, key = check["key"].partition(":")
    bound = seconds if seconds is not None else settings.JWO_CONNECTIVITY_CHECK_SECONDS
    started = time.monotonic()
    done = dict(check)
    with DeadlineSession(bound) as session:
        if kind == "amazon":
            result = probes.run(key, store_id=mapping.jwo_store_id, session=session)
            status, diagnosis = amazon_verdict(result)
            if session.expired and result.http_status is None:
                status = CheckStatus.FAILED
                diagnosis = _out_of_time(bound) + f"Check {amazon_config.source_setting(key)}."
            done.update(
                target=result.url or check["target"],
                http_status=result.http_status,
                detail=f"{result.operation}: {result.message}"
                if result.message
                else result.operation,
            )
        elif kind == "queue":
            outcome = _queue_check_within(key, bound)
            if outcome is None:
                status = CheckStatus.FAILED
                diagnosis = _out_of_time(bound) + "Check the queue's endpoint and URL settings."
            else:
                status, diagnosis = outcome.status, outcome.diagnosis
                done.update(target=outcome.target or check["target"], detail=outcome.detail)
        else:
            answer = _connector_probe(
                check["target"], store_id=mapping.jwo_store_id, run_id=run_id, session=session
            )
            setting = connector_setting()
            status, diagnosis = connector_verdict(answer, setting=setting)
            if session.expired and answer.http_status is None:
                status = CheckStatus.FAILED
                diagnosis = _out_of_time(bound) + f"Check {setting}."
            done.update(http_status=answer.http_status, detail=answer.message)
    done.update(
        status=str(status),
        diagnosis=diagnosis,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return done
