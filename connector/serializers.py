"""The contract's request shapes (jwo-api/identity-and-ordering.md). Unknown fields are ignored;
enums are checked against the documented values (connector/enums.py); both spellings Amazon's
pages show are accepted — ``timestamp`` or ``eventTimestamp`` (epoch seconds), ``location`` or
``authLocation`` (the FAQ's)."""

import base64
import binascii
import re
import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from stores.models import JwoStoreMapping

from .enums import EnumField

UUID = RegexValidator(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "must be a UUID",
)
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class AuthEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=255, validators=[UUID])
    timestamp = serializers.DateTimeField()
    location = EnumField("LOCATION")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = dict(data)
            if "timestamp" not in data and "eventTimestamp" in data:
                try:
                    seconds = float(data["eventTimestamp"])
                    data["timestamp"] = datetime.fromtimestamp(seconds, tz=UTC).isoformat()
                except (TypeError, ValueError, OverflowError, OSError):
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
    keyChannel = EnumField("KEY_CHANNEL", required=False)

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
    type = EnumField("SCAN_RESULT_TYPE")


class PurchaseAuthEventInput(AuthEventInput):
    """An entry in ``shoppingTrip.authEvents``: timestamp and location are optional here."""

    timestamp = serializers.DateTimeField(required=False)
    location = EnumField("LOCATION", required=False)
    id = serializers.CharField(max_length=255)
    payloadType = EnumField("PAYLOAD_TYPE")
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
        """A plain decimal (no exponent, no NaN), above zero, at most 3 decimal places and at
        most ``JWO_CART_MAX_QUANTITY`` (999 by default) per line."""
        limit = settings.JWO_CART_MAX_QUANTITY
        if not QUANTITY.match(value):
            raise serializers.ValidationError(
                "must be a decimal number as a string, such as 1.0 or 0.255"
            )
        fraction = value.partition(".")[2]
        if len(fraction.rstrip("0")) > 3:
            raise serializers.ValidationError("has more than 3 decimal places")
        number = Decimal(value)
        if number <= 0:
            raise serializers.ValidationError("must be above zero")
        if number > limit:
            raise serializers.ValidationError(f"must be at most {limit} per line")
        return value


class ExternalIdentifierInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = EnumField("EXTERNAL_ID_TYPE")


class CartItemInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = EnumField("CART_ITEM_TYPE")
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
    shopperKeyType = EnumField("SHOPPER_KEY_TYPE", required=False)
    storeId = StoreIdField()
    timestamp = serializers.DateTimeField(required=False)

    def validate_shopperKey(self, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("is not valid Base64") from exc
        return value

    def validate_shopperKeyType(self, value: str) -> str:
        if value == "PHONE_NUMBER":
            raise serializers.ValidationError("PHONE_NUMBER keys are not used in this store")
        return value


class FaMoneyInput(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)
    currencyCode = serializers.RegexField(r"^[A-Z]{3}$")


class FaAmountInput(FaMoneyInput):
    """An amount Amazon pre-authorizes: a negative or zero one is refused (400)."""

    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        coerce_to_string=False,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "must be above zero"},
    )


class GateEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=255)
    type = EnumField("GATE_EVENT_TYPE")
    interactionType = EnumField("INTERACTION_TYPE", required=False)
    timestamp = serializers.DateTimeField()
    location = EnumField("LOCATION", required=False)


class ConditionInput(serializers.Serializer):
    type = EnumField("AUTHORIZATION_CONDITION")
    amount = FaAmountInput(required=False)


class RecommendationInput(serializers.Serializer):
    shopperAuthorized = serializers.BooleanField(required=False)
    shopperRisks = serializers.ListField(child=EnumField("SHOPPER_RISK"), required=False)
    authorizationConditions = ConditionInput(many=True, required=False)


class ShopperInteractionInput(serializers.Serializer):
    shoppingTripId = serializers.CharField(max_length=255)
    gateAuthenticationEvent = GateEventInput()
    recommendation = RecommendationInput(required=False)


class ShopperAuthorizationInput(serializers.Serializer):
    storeId = StoreIdField()
    shopperIdentity = IdInput()
    authorizedAmount = FaAmountInput(required=False)
    shopperInteraction = ShopperInteractionInput()


class ScanEventInput(serializers.Serializer):
    id = serializers.CharField(max_length=1000)
    timestamp = serializers.DateTimeField(required=False)
    location = EnumField("LOCATION", required=False)
    value = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    channel = EnumField("KEY_CHANNEL", required=False)


class ScanInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    storeId = StoreIdField()
    scanEvent = ScanEventInput()


class ScanDetailsInput(serializers.Serializer):
    """GetScanDetails: the scan result a ResolveScan answered. ``requestId`` is not in the
    reference's table; it is checked when sent (and the request is then deduplicated on it)."""

    requestId = serializers.CharField(validators=[UUID], required=False)
    storeId = StoreIdField()
    scanResult = ScanResultInput()
