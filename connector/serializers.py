"""The contract's request shapes (jwo-api/identity-and-ordering.md). Shape only: unknown fields
are ignored, and both spellings Amazon's pages show are accepted — ``timestamp`` or
``eventTimestamp`` (epoch seconds), ``location`` or ``authLocation``."""

import base64
import binascii
import time
from datetime import UTC, datetime

from django.core.validators import RegexValidator
from rest_framework import serializers

from stores.models import JwoStoreMapping

UUID = RegexValidator(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "must be a UUID",
)
ENUM_WORD = RegexValidator(r"^[A-Z][A-Z_]*$", "must be an upper-case enum value")


class AuthEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=255, validators=[UUID])
    timestamp = serializers.DateTimeField()
    location = serializers.CharField(max_length=50, validators=[ENUM_WORD])

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = dict(data)
            if "timestamp" not in data and "eventTimestamp" in data:
                try:
                    seconds = float(data["eventTimestamp"])
                    data["timestamp"] = datetime.fromtimestamp(seconds, tz=UTC).isoformat()
                except (TypeError, ValueError):
                    data["timestamp"] = data["eventTimestamp"]
            if "location" not in data and "authLocation" in data:
                data["location"] = data["authLocation"]
        return super().to_internal_value(data)


_MAPPINGS: dict[str, tuple[float, JwoStoreMapping | None]] = {}
MAPPING_CACHE_SECONDS = 10.0


def active_mapping(jwo_store_id: str) -> JwoStoreMapping | None:
    """The active mapping of a JWO store id, cached for a few seconds per process: every call at
    the gate needs it, and a mapping changes rarely (a change is seen within 10 s)."""
    now = time.monotonic()
    cached = _MAPPINGS.get(jwo_store_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    mapping = (
        JwoStoreMapping.objects.select_related("store")
        .filter(jwo_store_id=jwo_store_id, is_active=True)
        .first()
    )
    if len(_MAPPINGS) > 10_000:
        _MAPPINGS.clear()
    _MAPPINGS[jwo_store_id] = (now + MAPPING_CACHE_SECONDS, mapping)
    return mapping


class StoreIdField(serializers.CharField):
    """A JWO store id we have mapped (and not paused)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=255, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        mapping = active_mapping(value)
        if mapping is None:
            raise serializers.ValidationError("is not a JWO store mapped in this console")
        self.parent.context["mapping"] = mapping
        return value


class IdentityKeysInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    identityKey = serializers.CharField(max_length=1000)
    storeId = StoreIdField()
    authEvent = AuthEventInput()
    keyChannel = serializers.CharField(required=False, max_length=50, validators=[ENUM_WORD])

    def validate_identityKey(self, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("is not valid Base64") from exc
        return value


def flatten_errors(errors, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested errors as ``[{"field": "authEvent.timestamp", "error": "..."}]``."""
    flat = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                name = prefix
            elif isinstance(key, int):  # a list's item, as DRF reports it
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else key
            flat.extend(flatten_errors(value, name))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list) and not isinstance(value, str):
                flat.extend(flatten_errors(value, f"{prefix}[{index}]"))
            else:
                flat.append({"field": prefix, "error": str(value)})
    else:
        flat.append({"field": prefix, "error": str(errors)})
    return flat


class ScanResultInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=30, validators=[ENUM_WORD])


class PurchaseAuthEventInput(AuthEventInput):
    """An entry in ``shoppingTrip.authEvents``: timestamp and location are optional here."""

    timestamp = serializers.DateTimeField(required=False)
    location = serializers.CharField(required=False, max_length=50, validators=[ENUM_WORD])
    id = serializers.CharField(max_length=255)
    payloadType = serializers.ChoiceField(choices=["FINANCIAL", "SCAN_CODE"])
    scanResult = ScanResultInput(required=False)


class ShoppingTripInput(serializers.Serializer):
    startTime = serializers.DateTimeField()
    endTime = serializers.DateTimeField()
    authEvents = PurchaseAuthEventInput(many=True, allow_empty=False)

    def validate(self, attrs):
        if attrs["endTime"] < attrs["startTime"]:
            raise serializers.ValidationError({"endTime": "is earlier than startTime"})
        return attrs


class QuantityInput(serializers.Serializer):
    value = serializers.CharField(max_length=10)
    unit = serializers.CharField(max_length=30)

    def validate_value(self, value: str) -> str:
        from decimal import Decimal, InvalidOperation

        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise serializers.ValidationError("must be a decimal number as a string") from exc
        if not number.is_finite() or number <= 0:
            raise serializers.ValidationError("must be above zero")
        return value


class ExternalIdentifierInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=30, validators=[ENUM_WORD])


class CartItemInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=["SKU", "SCANCODE"])
    quantity = QuantityInput()
    externalIdentifiers = ExternalIdentifierInput(many=True, required=False)
    lineItemId = serializers.CharField(max_length=255, required=False)


class IdInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)


class PurchasesInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    idempotentShoppingTripId = serializers.CharField(max_length=255)
    storeId = StoreIdField()
    shoppingTrip = ShoppingTripInput()
    cartItems = CartItemInput(many=True, allow_empty=True)
    shopperIdentity = IdInput(required=False)
    shopperDeviceId = serializers.CharField(max_length=255, required=False)
    paymentSource = IdInput(required=False)

    def validate_cartItems(self, items):
        seen = set()
        for item in items:
            line = item.get("lineItemId")
            if line is not None:
                if line in seen:
                    raise serializers.ValidationError(f"lineItemId {line} appears twice")
                seen.add(line)
        return items


class GetShopperInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    shopperKey = serializers.CharField(max_length=1000)
    shopperKeyType = serializers.ChoiceField(choices=["QR_CODE", "PHONE_NUMBER"], required=False)
    storeId = StoreIdField()
    timestamp = serializers.DateTimeField(required=False)

    def validate_shopperKeyType(self, value: str) -> str:
        if value == "PHONE_NUMBER":
            raise serializers.ValidationError("PHONE_NUMBER keys are not used in this store")
        return value


class FaMoneyInput(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)
    currencyCode = serializers.RegexField(r"^[A-Z]{3}$")


class GateEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=30, validators=[ENUM_WORD])
    interactionType = serializers.CharField(max_length=30, required=False)
    timestamp = serializers.DateTimeField()
    location = serializers.CharField(max_length=50, required=False)


class RecommendationInput(serializers.Serializer):
    shopperAuthorized = serializers.BooleanField(required=False)
    shopperRisks = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


class ShopperInteractionInput(serializers.Serializer):
    shoppingTripId = serializers.CharField(max_length=255)
    gateAuthenticationEvent = GateEventInput()
    recommendation = RecommendationInput(required=False)


class ShopperAuthorizationInput(serializers.Serializer):
    storeId = StoreIdField()
    shopperIdentity = IdInput()
    authorizedAmount = FaMoneyInput(required=False)
    shopperInteraction = ShopperInteractionInput()


class ScanEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=1000)
    timestamp = serializers.DateTimeField(required=False)
    location = serializers.CharField(max_length=50, required=False)
    value = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    channel = serializers.CharField(max_length=50, required=False)


class ScanInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    storeId = StoreIdField()
    scanEvent = ScanEventInput()
