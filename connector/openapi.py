"""The connector's contract as OpenAPI 3.0, served at ``/v1/openapi.json`` (README, *The
connector*). It states what connector/serializers.py and connector/enums.py check; the enum
lists include the values admitted by ``JWO_ENUM_*`` settings at the time it is served."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .enums import allowed

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _s(max_length: int | None = None, **extra) -> dict:
    schema = {"type": "string", **extra}
    if max_length:
        schema["maxLength"] = max_length
    return schema


def _enum(name: str) -> dict:
    return {"type": "string", "enum": list(allowed(name))}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


UUID = _s(pattern=UUID_PATTERN)
DATE_TIME = _s(format="date-time")
ERROR = _obj(
    {
        "message": _s(),
        "errors": {
            "type": "array",
            "items": _obj({"field": _s(), "error": _s()}, ["field", "error"]),
        },
    },
    ["message"],
)


def _money(positive: bool) -> dict:
    value: dict = {"type": "number", "multipleOf": 0.01, "maximum": 999999999999.99}
    if positive:
        value["minimum"] = 0.01
    else:
        value["minimum"] = -999999999999.99
    return _obj(
        {"value": value, "currencyCode": _s(pattern="^[A-Z]{3}$")}, ["value", "currencyCode"]
    )


def _document() -> dict:
    auth_event = _obj(
        {"id": UUID, "timestamp": DATE_TIME, "location": _enum("LOCATION")},
        ["id", "timestamp", "location"],
    )
    scan_result = _obj({"id": _s(255), "type": _enum("SCAN_RESULT_TYPE")}, ["id", "type"])
    quantity = _obj(
        {
            "value": _s(10, pattern=r"^[0-9]+(\.[0-9]{1,3})?$"),
            "unit": _s(30),
        },
        ["value", "unit"],
    )
    cart_item = _obj(
        {
            "id": _s(255),
            "type": _enum("CART_ITEM_TYPE"),
            "quantity": quantity,
            "externalIdentifiers": {
                "type": "array",
                "items": _obj({"id": _s(255), "type": _enum("EXTERNAL_ID_TYPE")}, ["id", "type"]),
            },
            "lineItemId": _s(255),
        },
        ["id", "type", "quantity"],
    )
    purchase_event = _obj(
        {
            "id": _s(255),
            "timestamp": DATE_TIME,
            "location": _enum("LOCATION"),
            "payloadType": _enum("PAYLOAD_TYPE"),
            "scanResult": scan_result,
        },
        ["id", "payloadType"],
    )
    visitor = _obj(
        {
            "visitorDetails": _obj(
                {"id": _s(), "type": {"type": "string", "enum": ["SHOPPER", "ASSOCIATE"]}},
                ["id", "type"],
            )
        },
        ["visitorDetails"],
    )
    bodies = {
        "IdentityKeys": _obj(
            {
                "requestId": UUID,
                "identityKey": _s(1000, format="byte"),
                "storeId": _s(255),
                "authEvent": auth_event,
                "keyChannel": _enum("KEY_CHANNEL"),
            },
            ["requestId", "identityKey", "storeId", "authEvent"],
        ),
        "GetShopper": _obj(
            {
                "requestId": UUID,
                "shopperKey": _s(1000, format="byte"),
                "shopperKeyType": _enum("SHOPPER_KEY_TYPE"),
                "storeId": _s(255),
                "timestamp": DATE_TIME,
            },
            ["requestId", "shopperKey", "storeId"],
        ),
        "ResolveScan": _obj(
            {
                "requestId": UUID,
                "storeId": _s(255),
                "scanEvent": _obj(
                    {
                        "id": _s(1000),
                        "timestamp": DATE_TIME,
                        "location": _enum("LOCATION"),
                        "value": _s(1000),
                        "channel": _enum("KEY_CHANNEL"),
                    },
                    ["id"],
                ),
            },
            ["requestId", "storeId", "scanEvent"],
        ),
        "GetScanDetails": _obj(
            {"requestId": UUID, "storeId": _s(255), "scanResult": scan_result},
            ["storeId", "scanResult"],
        ),
        "ShopperAuthorization": _obj(
            {
                "storeId": _s(255),
                "shopperIdentity": _obj({"id": _s(255)}, ["id"]),
                "authorizedAmount": _money(positive=True),
                "shopperInteraction": _obj(
                    {
                        "shoppingTripId": _s(255),
                        "gateAuthenticationEvent": _obj(
                            {
                                "id": _s(255),
                                "type": _enum("GATE_EVENT_TYPE"),
                                "interactionType": _enum("INTERACTION_TYPE"),
                                "timestamp": DATE_TIME,
                                "location": _enum("LOCATION"),
                            },
                            ["id", "type", "timestamp"],
                        ),
                        "recommendation": _obj(
                            {
                                "shopperAuthorized": {"type": "boolean"},
                                "shopperRisks": {
                                    "type": "array",
                                    "items": _enum("SHOPPER_RISK"),
                                },
                                "authorizationConditions": {
                                    "type": "array",
                                    "items": _obj(
                                        {
                                            "type": _enum("AUTHORIZATION_CONDITION"),
                                            "amount": _money(positive=True),
                                        },
                                        ["type"],
                                    ),
                                },
                            }
                        ),
                    },
                    ["shoppingTripId", "gateAuthenticationEvent"],
                ),
            },
            ["storeId", "shopperIdentity", "shopperInteraction"],
        ),
        "CreatePurchases": _obj(
            {
                "requestId": UUID,
                "idempotentShoppingTripId": _s(255),
                "storeId": _s(255),
                "shoppingTrip": _obj(
                    {
                        "startTime": DATE_TIME,
                        "endTime": DATE_TIME,
                        "authEvents": {"type": "array", "minItems": 1, "items": purchase_event},
                    },
                    ["startTime", "endTime", "authEvents"],
                ),
                "cartItems": {"type": "array", "items": cart_item},
                "shopperIdentity": _obj({"id": _s(255)}, ["id"]),
                "shopperDeviceId": _s(255),
                "paymentSource": _obj({"id": _s(255)}, ["id"]),
            },
            ["requestId", "idempotentShoppingTripId", "storeId", "shoppingTrip", "cartItems"],
        ),
    }
    answers = {
        "IdentityKeys": ("200", visitor, "Admitted: the gate opens"),
        "GetShopper": ("200", visitor, "The shopper behind the key"),
        "ResolveScan": (
            "200",
            _obj(
                {
                    "id": _s(),
                    "type": _s(),
                    "action": {"type": "string", "enum": ["ACCEPT", "REJECT"]},
                    "resolution": {"type": "string", "enum": ["ACCEPT", "REJECT"]},
                    "scanResult": _obj({"id": _s(), "type": _s()}),
                },
                ["resolution", "scanResult"],
            ),
            "The resolution",
        ),
        "GetScanDetails": (
            "200",
            _obj(
                {"provider": _s(255), "promotionIds": {"type": "array", "items": _s()}},
                ["provider", "promotionIds"],
            ),
            "The loyalty provider's metadata",
        ),
        "ShopperAuthorization": (
            "200",
            _obj(
                {
                    "shopperAuthorized": {"type": "boolean"},
                    "decision": {"type": "string", "enum": ["APPROVED", "DENIED"]},
                    "authorizationConditions": {
                        "type": "array",
                        "items": _obj({"type": _s(), "amount": _money(positive=True)}),
                    },
                },
                ["shopperAuthorized", "decision", "authorizationConditions"],
            ),
            "The F&A decision (ADJUST: a reduced pre-auth)",
        ),
        "CreatePurchases": (
            "201",
            _obj({"purchaseId": _s()}, ["purchaseId"]),
            "The purchase, created (an empty cart too)",
        ),
    }
    paths = {
        "/v1/identity/identity-keys": ("IdentityKeys", "VerifyIdentityKeys"),
        "/v1/identity/shopper": ("GetShopper", "GetShopper"),
        "/v1/identity/scan": ("ResolveScan", "ResolveScan"),
        "/v1/identity/scan/details": ("GetScanDetails", "GetScanDetails"),
        "/v1/fraudandabuse/shopperauthorization": (
            "ShopperAuthorization",
            "GetShopperAuthorization",
        ),
        "/v1/order/purchases": ("CreatePurchases", "CreatePurchases"),
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    refusals = {
        "400": "Invalid: the field and why (also non-finite numbers, NUL characters, nesting)",
        "401": "Missing or wrong shared secret; for identity calls also: not admitted",
        "404": "Unknown resource (GetScanDetails: a scan result ResolveScan did not accept)",
        "409": "The same key with a different payload, or still being processed",
        "413": "Body over the size cap (a preview is stored)",
        "415": "Content-Type is not JSON",
        "429": "Over the store's rate; see Retry-After",
        "500": "Our error (the request is stored and can be replayed)",
    }
    out_paths = {}
    for path, (name, operation) in paths.items():
        code, schema, description = answers[name]
        responses = {
            code: {"description": description, "content": {"application/json": {"schema": schema}}}
        }
        for status, text in refusals.items():
            responses.setdefault(status, {"description": text, "content": error})
        responses["429"] = {
            **responses["429"],
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
        out_paths[path] = {
            "post": {
                "operationId": operation,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": responses,
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "JWO Console connector",
            "version": "1",
            "description": "The endpoints Amazon Just Walk Out calls (README, The connector). "
            f"Bodies up to {settings.JWO_CONNECTOR_MAX_BODY_BYTES} bytes, nesting up to "
            f"{settings.JWO_CONNECTOR_MAX_DEPTH} levels, per store "
            f"{settings.JWO_CONNECTOR_RATE_PER_STORE or 'no limit'}. Unknown fields are "
            "ignored; the FAQ's spellings eventTimestamp (epoch seconds) and authLocation are "
            "accepted where the reference has timestamp and location.",
        },
        "servers": [{"url": "/"}],
        "security": [{"ConnectorSecret": []}],
        "paths": out_paths,
        "components": {
            "securitySchemes": {
                "ConnectorSecret": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-JWO-Connector-Secret",
                }
            },
            "schemas": {"Error": ERROR, **bodies},
        },
    }


def openapi_document() -> dict:
    return _document()


@login_not_required
@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document())
