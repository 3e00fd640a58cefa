"""The enum values Amazon documents for the connector's requests
(Amazon's public pages), each widened by a setting
without a release: ``JWO_CONNECTOR_ENUM_EXTRA`` maps an enum's name to further values (from the
environment: ``JWO_ENUM_<NAME>=VALUE,VALUE``). A value outside → 400 naming the field and the
allowed values."""

from django.conf import settings
from rest_framework import serializers

DOCUMENTED: dict[str, tuple[str, ...]] = {
    # authEvent.location (VerifyIdentityKeys), authEvents[].location (CreatePurchases),
    # scanEvent.location (ResolveScan), gateAuthenticationEvent.location (F&A)
    "LOCATION": ("ENTRY", "MANUAL_IN_STORE"),
    # keyChannel (VerifyIdentityKeys), scanEvent.channel (ResolveScan)
    "KEY_CHANNEL": ("OPTICAL",),
    # scanResult.type (CreatePurchases, GetScanDetails)
    "SCAN_RESULT_TYPE": ("SHOPPER", "ASSOCIATE", "CASH", "LOYALTY"),
    # cartItems[].externalIdentifiers[].type: the catalog's external_product_id_type
    "EXTERNAL_ID_TYPE": ("UPC", "ISBN", "EAN", "EAN8", "GTIN", "PLU"),
    "CART_ITEM_TYPE": ("SKU", "SCANCODE"),
    "PAYLOAD_TYPE": ("FINANCIAL", "SCAN_CODE"),
    "SHOPPER_KEY_TYPE": ("QR_CODE", "PHONE_NUMBER"),
    # F&A: gateAuthenticationEvent.type / .interactionType, recommendation.shopperRisks
    "GATE_EVENT_TYPE": ("CREDIT_CARD",),
    "INTERACTION_TYPE": ("TAP",),
    "AUTHORIZATION_CONDITION": ("ADJUST",),
    "SHOPPER_RISK": ("InvalidCard", "ExpiredCard", "CustomerFraud", "BadDebt"),
}


def allowed(name: str) -> tuple[str, ...]:
    extra = tuple(getattr(settings, "JWO_CONNECTOR_ENUM_EXTRA", {}).get(name, ()))
    return DOCUMENTED[name] + tuple(v for v in extra if v not in DOCUMENTED[name])


class EnumField(serializers.Field):
    """A string from one of the enums above. Cheaper than ChoiceField (no per-instance choice
    dict) and its error lists the allowed values."""

    default_error_messages = {"invalid": "must be one of {allowed} (got {got!r})"}

    def __init__(self, enum: str, **kwargs) -> None:
        self.enum = enum
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        values = allowed(self.enum)
        if isinstance(data, str) and data in values:
            return data
        self.fail("invalid", allowed=", ".join(values), got=str(data)[:50])

    def to_representation(self, value):
        return value
