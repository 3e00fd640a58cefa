"""The endpoints Amazon calls, served at Amazon's paths from the root of the host: the handlers.

Each handler gets the validated input, the serializer's context (``mapping``: the store's active
JWO mapping) and the raw JSON, calls one domain service and returns (HTTP status, answer). Every
request reaches it through connector/pipeline.py (method, size, secret, shape, stored,
deduplicated, answered and stored), which the ``endpoint`` decorator wraps it in.
"""

import base64
import binascii

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from orders.services import order_create_from_purchase
from shoppers.services import gate_authorize_card, gate_verify_identity_key, shopper_for_key

from . import services
from .models import Endpoint
from .pipeline import endpoint, refuse_unknown
from .serializers import (
    GetShopperInput,
    IdentityKeysInput,
    PurchasesInput,
    ScanDetailsInput,
    ScanInput,
    ShopperAuthorizationInput,
    identity_keys_fast,
    purchases_fast,
)


@csrf_exempt
@login_not_required
def unknown_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    """A path under /v1/ that is not one of ours: a JSON 404, stored like every other input."""
    return refuse_unknown(request, Endpoint.UNKNOWN)


@endpoint(
    Endpoint.IDENTITY_KEYS,
    IdentityKeysInput,
    dedupe=lambda d: d["authEvent"]["id"],
    holds_writes=True,
    fast=identity_keys_fast,
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


@endpoint(
    Endpoint.PURCHASES,
    PurchasesInput,
    dedupe=lambda d: f"{d['storeId']}:{d['idempotentShoppingTripId']}",
    holds_writes=True,
    fast=purchases_fast,
)
def purchases(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """CreatePurchases: 201 with our purchaseId at once (an empty cart too); pricing follows in
    a task. Unknown SKUs are accepted here and turn the order to ERROR when it is priced."""
    order, _ = order_create_from_purchase(mapping=context["mapping"], data=data, raw=raw)
    return 201, {"purchaseId": order.purchase_id}


@endpoint(Endpoint.GET_SHOPPER, GetShopperInput, dedupe=lambda d: d["requestId"])
def get_shopper(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """GetShopper (assisted shopping, Dash Cart): the response is not in Amazon's public pages;
    it mirrors VerifyIdentityKeys — 200 with ``visitorDetails``, 401 when the key is not good."""
    shopper, _reason = shopper_for_key(
        identity_key=data["shopperKey"], at=data.get("timestamp") or timezone.now()
    )
    if shopper is None:
        return 401, {"message": "No shopper for this key."}
    return 200, {"visitorDetails": {"id": str(shopper.public_id), "type": shopper.kind}}


@endpoint(
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
    try:
        decoded = base64.b64decode(scan_id, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return scan_id
    return decoded if decoded.isprintable() else scan_id


@endpoint(Endpoint.SCAN, ScanInput, dedupe=lambda d: d["requestId"], calls_out=True)
def scan(data: dict, context: dict, raw: dict) -> tuple[int, dict]:
    """ResolveScan for loyalty: the store's provider resolves the code. The response field
    names are not in Amazon's public pages; the answer carries the issue's ``{id, type,
    action}`` and the derived ``{resolution, scanResult}``. The id comes back in the cart's
    auth events, and in GetScanDetails. A provider that does not answer is a 500 (Amazon follows
    the store's default; the stored request can be replayed)."""
    code = _scanned_code(data["scanEvent"]["id"])
    member_id, action = services.scan_resolve(mapping=context["mapping"], code=code)
    return 200, {
        "id": member_id,
        "type": "LOYALTY",
        "action": action,
        "resolution": action,
        "scanResult": {"id": member_id, "type": "LOYALTY"},
    }


@endpoint(
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
