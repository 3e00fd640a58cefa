"""A stand-in for the console's connector endpoints (they arrive with the connector issue), used
to test that the gate simulator speaks the contract: it checks the secret and the required
fields of every request, and answers the way the contract's connector answers."""

import base64
import json

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from jwo_console.urls import urlpatterns as console_urlpatterns

received: list[tuple[str, dict]] = []
purchases: dict[str, str] = {}
failing_purchases: list[int] = [0]  # how many CreatePurchases calls still answer 503
REFUSE_PREFIX = "JWOSIM000002"  # shopper no. 2 is refused at the gate


def _require(body: dict, dotted: str) -> None:
    node = body
    for part in dotted.split("."):
        assert isinstance(node, dict) and part in node, f"missing {dotted}"
        node = node[part]


def _endpoint(required: list[str]):
    def decorator(handler):
        @csrf_exempt
        def view(request):
            if request.headers.get("X-JWO-Connector-Secret") != "test-connector-secret":
                return JsonResponse({"message": "bad secret"}, status=401)
            body = json.loads(request.body)
            for field in required:
                try:
                    _require(body, field)
                except AssertionError as exc:
                    return JsonResponse({"message": str(exc)}, status=400)
            received.append((request.path, body))
            return handler(body)

        from django.contrib.auth.decorators import login_not_required

        return login_not_required(view)

    return decorator


@_endpoint(["requestId", "identityKey", "storeId", "authEvent.id", "authEvent.timestamp"])
def identity_keys(body):
    key = base64.b64decode(body["identityKey"]).decode()
    if key.startswith(REFUSE_PREFIX):
        return JsonResponse({"message": "unknown key"}, status=401)
    return JsonResponse({"visitorDetails": {"id": f"shopper-{key[6:12]}", "type": "SHOPPER"}})


@_endpoint(["requestId", "storeId", "scanEvent.id"])
def scan(body):
    code = base64.b64decode(body["scanEvent"]["id"]).decode()
    return JsonResponse({"id": f"loyal-{code[-6:]}", "type": "LOYALTY", "action": "ACCEPT"})


@_endpoint(["storeId", "shopperIdentity.id", "shopperInteraction.shoppingTripId"])
def shopper_authorization(body):
    return JsonResponse({"shopperAuthorized": True})


@_endpoint(
    [
        "requestId",
        "idempotentShoppingTripId",
        "storeId",
        "shoppingTrip.startTime",
        "shoppingTrip.endTime",
        "shoppingTrip.authEvents",
        "cartItems",
    ]
)
def create_purchases(body):
    if failing_purchases[0] > 0:
        failing_purchases[0] -= 1
        return JsonResponse({"message": "Service Unavailable"}, status=503)
    trip = body["idempotentShoppingTripId"]
    purchase_id = purchases.setdefault(trip, f"PO-{len(purchases) + 1:06d}")
    return JsonResponse({"purchaseId": purchase_id}, status=201)


urlpatterns = [
    path("v1/identity/identity-keys", identity_keys),
    path("v1/identity/scan", scan),
    path("v1/fraudandabuse/shopperauthorization", shopper_authorization),
    path("v1/order/purchases", create_purchases),
    path("", include(console_urlpatterns)),
]
