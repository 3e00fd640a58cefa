"""The endpoints Amazon calls, served at Amazon's paths from the root of the host.

Each request goes: method (405) → size (413) → secret (401) → content type (415) → JSON read
strictly (400: connector/parsing.py) → the store's rate (429 with Retry-After) → shape and enums
validated (400 naming the field and why) → stored → deduplicated (a duplicate gets the
original answer; the same key with a different payload gets 409 and is kept for review) →
handled by a domain service → answer stored. Every refusal is stored too, with its answer.
A 500 is only ever our bug: for the gate, Amazon then follows the store's default.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from jwo_console.exceptions import ApplicationError
from jwo_console.logging import request_id_var
from orders.services import order_create_from_purchase
from shoppers.services import gate_authorize_card, gate_verify_identity_key, shopper_for_key

from . import services, throttle
from .models import ConnectorRequest, Endpoint, RequestStatus
from .parsing import BodyRefused, parse_body
from .serializers import (
    GetShopperInput,
    IdentityKeysInput,
    PurchasesInput,
    ScanDetailsInput,
    ScanInput,
    ShopperAuthorizationInput,
    flatten_errors,
)

logger = logging.getLogger(__name__)
Handler = Callable[[dict, dict, dict], tuple[int, dict]]


PREVIEW_CHARS = 65_536  # what is kept of a body refused for its size
JSON_TYPES = ("application/json", "")  # a missing Content-Type is taken as JSON


def _is_json(content_type: str) -> bool:
    return content_type in JSON_TYPES or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _read_body(request: HttpRequest, cap: int) -> tuple[bytes, int, bool]:
    """(body or its preview, bytes received or declared, too large?) without ever holding more
    than ``cap`` bytes (Django's own limit would answer an HTML 400 and lose the request)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return request.read(PREVIEW_CHARS), declared, True
    data = request.read(cap + 1)
    if len(data) > cap:
        return data[:PREVIEW_CHARS], len(data), True
    return data, len(data), False


def _refusal(field: str, error: str) -> dict:
    message = f"{field}: {error}" if field else error
    return {"message": message, "errors": [{"field": field, "error": error}]}


def _store_refused(
    *,
    endpoint: str,
    request: HttpRequest,
    body: bytes,
    size: int,
    status: str,
    http_status: int,
    answer: dict,
    started: float,
    replay_of: ConnectorRequest | None = None,
    raw: dict | None = None,
    extra_headers: dict | None = None,
) -> JsonResponse:
    """Every refusal is stored with its answer (one write) and answered in JSON."""
    services.connector_request_refused(
        endpoint=endpoint,
        headers=dict(request.headers),
        body=body,
        size=size,
        method=request.method or "",
        status=status,
        http_status=http_status,
        answer=answer,
        started=started,
        replay_of=replay_of,
        store_id=str((raw or {}).get("storeId", ""))[:255],
        request_id=str((raw or {}).get("requestId", ""))[:100],
    )
    response = JsonResponse(answer, status=http_status)
    for name, value in (extra_headers or {}).items():
        response[name] = value
    return response


def connector_endpoint(
    endpoint: str,
    serializer_class: type[serializers.Serializer],
    dedupe: Callable[[dict], str | None],
    calls_out: bool = False,
) -> Callable[[Handler], Callable]:
    """``calls_out``: the handler calls a remote service, so it runs outside any transaction and
    its answer is stored in a write of its own. Otherwise the handler's writes and the answer
    commit together: one commit (one WAL flush) after the stored request's own."""

    def decorator(handler: Handler) -> Callable:
        @csrf_exempt
        @login_not_required
        def view(request: HttpRequest, replay_of: ConnectorRequest | None = None) -> JsonResponse:
            started = time.monotonic()
            cap = settings.JWO_CONNECTOR_MAX_BODY_BYTES
            body, size, too_large = _read_body(request, cap)

            def refuse(
                http_status: int, answer: dict, status: str, raw: dict | None = None, **kw: Any
            ) -> JsonResponse:
                return _store_refused(
                    endpoint=endpoint,
                    request=request,
                    body=body,
                    size=size,
                    status=status,
                    http_status=http_status,
                    answer=answer,
                    started=started,
                    replay_of=replay_of,
                    raw=raw,
                    **kw,
                )

            if request.method != "POST":
                answer = _refusal("", f"{request.method} is not allowed here; use POST")
                return refuse(
                    405, answer, RequestStatus.NOT_ALLOWED, extra_headers={"Allow": "POST"}
                )
            if too_large:
                answer = _refusal("", f"the body is {size} bytes; at most {cap} are accepted")
                return refuse(413, answer, RequestStatus.TOO_LARGE)
            if not services.connector_secret_valid(
                request.headers.get("X-JWO-Connector-Secret", "")
            ):
                return refuse(
                    401,
                    {"message": "Missing or wrong X-JWO-Connector-Secret."},
                    RequestStatus.UNAUTHORIZED,
                )
            if not _is_json(request.content_type or ""):
                error = (
                    f"Content-Type {request.content_type[:100]} is not JSON; send application/json"
                )
                return refuse(415, _refusal("", error), RequestStatus.UNSUPPORTED)
            try:
                raw = parse_body(body, max_depth=settings.JWO_CONNECTOR_MAX_DEPTH)
            except BodyRefused as exc:
                return refuse(exc.http_status, exc.answer(), RequestStatus.INVALID)
            store_ref = raw.get("storeId")
            wait = throttle.store_hit(store_ref if isinstance(store_ref, str) else "")
            if wait:
                answer = {"message": f"Too many requests for this store; retry in {wait} s."}
                return refuse(
                    429,
                    answer,
                    RequestStatus.THROTTLED,
                    raw=raw,
                    extra_headers={"Retry-After": str(wait)},
                )
            serializer = serializer_class(data=raw, context={})
            try:
                valid = serializer.is_valid()
            except (ValueError, OverflowError, OSError) as exc:  # e.g. a date beyond year 9999
                answer = _refusal("", f"the request could not be read ({str(exc)[:120]})")
                return refuse(400, answer, RequestStatus.INVALID, raw=raw)
            if not valid:
                errors = flatten_errors(serializer.errors)
                message = "; ".join(f"{e['field']}: {e['error']}" for e in errors)
                answer = {"message": message, "errors": errors}
                return refuse(400, answer, RequestStatus.INVALID, raw=raw)
            data = serializer.validated_data
            request_id_var.set(str(raw.get("requestId", "-")))
            digest = services.payload_hash(raw)
            req, original = services.connector_request_store(
                endpoint=endpoint,
                headers=dict(request.headers),
                body=body,
                dedupe_key=dedupe(data),
                digest=digest,
                store_id=str(raw.get("storeId", ""))[:255],
                request_id=str(raw.get("requestId", ""))[:100],
                replay_of=replay_of,
            )

            def answer(http_status: int, answer_body: dict, status: str, **kw: Any) -> JsonResponse:
                services.connector_request_answer(
                    req=req,
                    status=status,
                    http_status=http_status,
                    body=answer_body,
                    started=started,
                    **kw,
                )
                return JsonResponse(answer_body, status=http_status)

            if original is not None:
                if original.payload_hash != digest:
                    conflict = {"message": "This event was already sent with a different payload."}
                    return answer(409, conflict, RequestStatus.CONFLICT, duplicate_of=original)
                original = services.await_answer(original)
                if original.response_status is None:
                    busy = {"message": "The same request is still being processed; retry."}
                    return answer(409, busy, RequestStatus.CONFLICT, duplicate_of=original)
                return answer(
                    original.response_status,
                    original.response_body,
                    RequestStatus.DUPLICATE,
                    duplicate_of=original,
                )
            try:
                # The domain work and the stored answer commit together: one commit, and a crash
                # leaves only the stored request, whose key a retry can take over.
                if calls_out:
                    http_status, answer_body = handler(data, serializer.context, raw)
                    return answer(http_status, answer_body, RequestStatus.ANSWERED)
                with transaction.atomic():
                    http_status, answer_body = handler(data, serializer.context, raw)
                    return answer(http_status, answer_body, RequestStatus.ANSWERED)
            except ApplicationError as exc:
                return answer(400, {"message": exc.message}, RequestStatus.INVALID)
            except Exception as exc:
                logger.exception("connector handler failed", extra={"endpoint": endpoint})
                return answer(
                    500,
                    {"message": "Internal error"},
                    RequestStatus.FAILED,
                    error=f"{exc.__class__.__name__}: {exc}",
                )

        return view

    return decorator


@csrf_exempt
@login_not_required
def unknown_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    """A path under /v1/ that is not one of ours: a JSON 404, stored like every other input."""
    started = time.monotonic()
    body, size, _ = _read_body(request, settings.JWO_CONNECTOR_MAX_BODY_BYTES)
    answer = _refusal("", f"no endpoint at {request.path[:200]}")
    return _store_refused(
        endpoint=Endpoint.UNKNOWN,
        request=request,
        body=body,
        size=size,
        status=RequestStatus.NOT_FOUND,
        http_status=404,
        answer=answer,
        started=started,
    )


@connector_endpoint(
    Endpoint.IDENTITY_KEYS, IdentityKeysInput, dedupe=lambda d: d["authEvent"]["id"]
)
def identity_keys(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """VerifyIdentityKeys: 200 with ``visitorDetails`` opens the gate; 401 keeps it closed."""
    decision = gate_verify_identity_key(
        mapping=context["mapping"],
        identity_key=data["identityKey"],
        auth_event_id=data["authEvent"]["id"],
        event_time=data["authEvent"]["timestamp"],
    )
    if decision.admitted and decision.shopper is not None:
        shopper = decision.shopper
        return 200, {"visitorDetails": {"id": str(shopper.public_id), "type": shopper.kind}}
    return 401, {"message": "Not authorized to enter."}


@connector_endpoint(
    Endpoint.PURCHASES,
    PurchasesInput,
    dedupe=lambda d: f"{d['storeId']}:{d['idempotentShoppingTripId']}",
)
def purchases(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """CreatePurchases: 201 with our purchaseId at once (an empty cart too); pricing follows in
    a task. Unknown SKUs are accepted here and turn the order to ERROR when it is priced."""
    order, _ = order_create_from_purchase(mapping=context["mapping"], data=data, raw=raw)
    return 201, {"purchaseId": order.purchase_id}


@connector_endpoint(Endpoint.GET_SHOPPER, GetShopperInput, dedupe=lambda d: d["requestId"])
def get_shopper(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """GetShopper (assisted shopping, Dash Cart): the response is not in Amazon's public pages;
    it mirrors VerifyIdentityKeys — 200 with ``visitorDetails``, 401 when the key is not good."""
    shopper, _reason = shopper_for_key(
        identity_key=data["shopperKey"], at=data.get("timestamp") or timezone.now()
    )
    if shopper is None:
        return 401, {"message": "No shopper for this key."}
    return 200, {"visitorDetails": {"id": str(shopper.public_id), "type": shopper.kind}}


@connector_endpoint(
    Endpoint.SHOPPER_AUTHORIZATION,
    ShopperAuthorizationInput,
    dedupe=lambda d: d["shopperInteraction"]["gateAuthenticationEvent"]["id"],
)
def shopper_authorization(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """F&A at card entry, by the store's F&A policy (its mapping). The response is not in the
    public pages; the validation plans speak of APPROVED / DENIED and of a conditional approval
    with a reduced pre-auth (ADJUST), and the request's ``recommendation`` carries
    ``shopperAuthorized`` and ``authorizationConditions``, so the answer mirrors it:
    ``{"shopperAuthorized": bool, "decision": "APPROVED"|"DENIED", "authorizationConditions":
    [] | [{"type": "ADJUST", "amount": {"value", "currencyCode"}}]}``."""
    interaction = data["shopperInteraction"]
    event = interaction["gateAuthenticationEvent"]
    amount = data.get("authorizedAmount")
    decision = gate_authorize_card(
        mapping=context["mapping"],
        card_token=data["shopperIdentity"]["id"],
        auth_event_id=event["id"],
        event_time=event["timestamp"],
        risks=list((interaction.get("recommendation") or {}).get("shopperRisks") or []),
        requested_amount=amount["value"] if amount else None,
        currency=amount["currencyCode"] if amount else None,
        trip_id=interaction["shoppingTripId"],
    )
    conditions = []
    if decision.admitted and decision.authorized_source == "fa_adjust":
        conditions.append(
            {
                "type": "ADJUST",
                "amount": {
                    # the wire's number, at the edge (Amazon's sample: "value": 10.0)
                    "value": float(decision.authorized_amount),
                    "currencyCode": decision.currency,
                },
            }
        )
    return 200, {
        "shopperAuthorized": decision.admitted,
        "decision": "APPROVED" if decision.admitted else "DENIED",
        "authorizationConditions": conditions,
    }


def _scanned_code(scan_id: str) -> str:
    """``scanEvent.id`` is Base64 of what was scanned (FAQ); Amazon's mock sends it plain."""
    import base64
    import binascii

    try:
        decoded = base64.b64decode(scan_id, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return scan_id
    return decoded if decoded.isprintable() else scan_id


@connector_endpoint(Endpoint.SCAN, ScanInput, dedupe=lambda d: d["requestId"], calls_out=True)
def scan(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """ResolveScan for loyalty: the store's provider resolves the code. The response field
    names are not in Amazon's public pages; the answer carries the issue's ``{id, type,
    action}`` and the derived ``{resolution, scanResult}``. The id comes back in the cart's
    auth events, and in GetScanDetails. A provider that does not answer is a 500 (Amazon follows
    the store's default; the stored request can be replayed)."""
    from integrations.loyalty import loyalty_client

    code = _scanned_code(data["scanEvent"]["id"])
    client = loyalty_client(context["mapping"].loyalty_provider)
    member = client.resolve(code)
    action = "ACCEPT" if member is not None else "REJECT"
    member_id = member.member_id if member is not None else code[:255]
    if member is not None:
        services.scan_resolution_record(
            jwo_store_id=context["mapping"].jwo_store_id,
            result_id=member_id[:255],
            result_type="LOYALTY",
            provider=client.label,
            promotion_ids=[f"{client.label}-{member.tier}".upper()] if member.tier else [],
        )
    return 200, {
        "id": member_id,
        "type": "LOYALTY",
        "action": action,
        "resolution": action,
        "scanResult": {"id": member_id, "type": "LOYALTY"},
    }


@connector_endpoint(
    Endpoint.SCAN_DETAILS,
    ScanDetailsInput,
    dedupe=lambda d: d.get("requestId"),
)
def scan_details(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """GetScanDetails: the loyalty provider and promotion ids of a scan result ResolveScan
    accepted in this store (``{"provider", "promotionIds"}``); 404 for one it did not."""
    result = data["scanResult"]
    found = services.scan_resolution_find(
        jwo_store_id=context["mapping"].jwo_store_id,
        result_id=result["id"],
        result_type=result["type"],
    )
    if found is None:
        return 404, {"message": f"No accepted scan result {result['type']} {result['id']}."}
    return 200, {"provider": found.provider, "promotionIds": list(found.promotion_ids)}


VIEWS = {
    Endpoint.SCAN: scan,
    Endpoint.IDENTITY_KEYS: identity_keys,
    Endpoint.PURCHASES: purchases,
    Endpoint.GET_SHOPPER: get_shopper,
    Endpoint.SHOPPER_AUTHORIZATION: shopper_authorization,
    Endpoint.SCAN_DETAILS: scan_details,
}
