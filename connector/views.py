"""The endpoints Amazon calls, served at Amazon's paths from the root of the host.

Each request goes: stored → secret checked (401) → JSON and shape validated (400 naming the
field and why) → deduplicated (a duplicate gets the original answer; the same key with a
different payload gets 409 and is kept for review) → handled by a domain service → answer
stored. A 500 is only ever our bug: for the gate, Amazon then follows the store's default.
"""

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers

from jwo_console.exceptions import ApplicationError
from jwo_console.logging import request_id_var
from orders.services import order_create_from_purchase
from shoppers.services import gate_authorize_card, gate_verify_identity_key, shopper_for_key

from . import services
from .models import ConnectorRequest, Endpoint, RequestStatus
from .serializers import (
    GetShopperInput,
    IdentityKeysInput,
    PurchasesInput,
    ScanInput,
    ShopperAuthorizationInput,
    flatten_errors,
)

logger = logging.getLogger(__name__)
Handler = Callable[[dict, dict, dict], tuple[int, dict]]


def connector_endpoint(
    endpoint: str,
    serializer_class: type[serializers.Serializer],
    dedupe: Callable[[dict], str],
    calls_out: bool = False,
) -> Callable[[Handler], Callable]:
    """``calls_out``: the handler calls a remote service, so it runs outside any transaction and
    its answer is stored in a write of its own."""

    def decorator(handler: Handler) -> Callable:
        @csrf_exempt
        @login_not_required
        @require_POST
        def view(request: HttpRequest, replay_of: ConnectorRequest | None = None) -> JsonResponse:
            started = time.monotonic()
            headers, body = dict(request.headers), request.body

            def refuse(http_status: int, answer: dict, status: str) -> JsonResponse:
                services.connector_request_refused(
                    endpoint=endpoint,
                    headers=headers,
                    body=body,
                    status=status,
                    http_status=http_status,
                    answer=answer,
                    started=started,
                    replay_of=replay_of,
                )
                return JsonResponse(answer, status=http_status)

            if not services.connector_secret_valid(
                request.headers.get("X-JWO-Connector-Secret", "")
            ):
                return refuse(
                    401,
                    {"message": "Missing or wrong X-JWO-Connector-Secret."},
                    RequestStatus.UNAUTHORIZED,
                )
            try:
                raw = json.loads(body or b"")
            except (ValueError, UnicodeDecodeError):
                error = {"field": "", "error": "the body is not JSON"}
                return refuse(
                    400,
                    {"message": "The body is not JSON.", "errors": [error]},
                    RequestStatus.INVALID,
                )
            if not isinstance(raw, dict):
                error = {"field": "", "error": "the body must be a JSON object"}
                return refuse(
                    400,
                    {"message": "The body must be a JSON object.", "errors": [error]},
                    RequestStatus.INVALID,
                )
            serializer = serializer_class(data=raw, context={})
            if not serializer.is_valid():
                errors = flatten_errors(serializer.errors)
                message = "; ".join(f"{e['field']}: {e['error']}" for e in errors)
                return refuse(400, {"message": message, "errors": errors}, RequestStatus.INVALID)
            data = serializer.validated_data
            request_id_var.set(str(raw.get("requestId", "-")))
            digest = services.payload_hash(raw)
            req, original = services.connector_request_store(
                endpoint=endpoint,
                headers=headers,
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
    """F&A at card entry. The response is not in the public pages; the validation plans speak
    of APPROVED / DENIED and the request carries ``recommendation.shopperAuthorized``, so the
    answer carries both: ``{"shopperAuthorized": bool, "decision": "APPROVED"|"DENIED",
    "authorizationConditions": []}``."""
    interaction = data["shopperInteraction"]
    event = interaction["gateAuthenticationEvent"]
    decision = gate_authorize_card(
        mapping=context["mapping"],
        card_token=data["shopperIdentity"]["id"],
        auth_event_id=event["id"],
        event_time=event["timestamp"],
        risks=list((interaction.get("recommendation") or {}).get("shopperRisks") or []),
    )
    return 200, {
        "shopperAuthorized": decision.admitted,
        "decision": "APPROVED" if decision.admitted else "DENIED",
        "authorizationConditions": [],
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
    auth events. A provider that does not answer is a 500 (Amazon follows the store's default;
    the stored request can be replayed)."""
    from integrations.loyalty import loyalty_client

    code = _scanned_code(data["scanEvent"]["id"])
    member = loyalty_client(context["mapping"].loyalty_provider).resolve(code)
    action = "ACCEPT" if member is not None else "REJECT"
    member_id = member.member_id if member is not None else code[:255]
    return 200, {
        "id": member_id,
        "type": "LOYALTY",
        "action": action,
        "resolution": action,
        "scanResult": {"id": member_id, "type": "LOYALTY"},
    }


VIEWS = {
    Endpoint.SCAN: scan,
    Endpoint.IDENTITY_KEYS: identity_keys,
    Endpoint.PURCHASES: purchases,
    Endpoint.GET_SHOPPER: get_shopper,
    Endpoint.SHOPPER_AUTHORIZATION: shopper_authorization,
}
