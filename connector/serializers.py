"""The request shapes of the endpoints Amazon calls (docs/ARCHITECTURE.md "How to add …").
Unknown fields are ignored;
enums are checked against the documented values (connector/enums.py); both spellings Amazon's
pages show are accepted — ``timestamp`` or ``eventTimestamp`` (epoch seconds), ``location`` or
``authLocation`` (the FAQ's)."""

import base64
import binascii
import re
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from stores.selectors import active_mapping

from .enums import EnumField, allowed

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

    def validate_value(self, value: str) -> str:  # also called unbound, by CartItemsField
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


REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
NULL = "This field may not be null."


def _too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def _text(item: dict, key: str, limit: int, errors: dict, required: bool = True) -> str | None:
    """DRF's CharField, inline: the same rules and messages, none of its per-field machinery."""
    if key not in item:
        if required:
            errors[key] = [REQUIRED]
        return None
    value = item[key]
    if value is None:
        errors[key] = [NULL]
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[key] = [NOT_A_STRING]
        return None
    value = str(value).strip()
    if not value:
        errors[key] = [BLANK]
    elif len(value) > limit:
        errors[key] = [_too_long(limit)]
    elif "\x00" in value:
        errors[key] = ["Null characters are not allowed."]
    elif not value.isascii() and (bad := next((c for c in value if "\ud800" <= c <= "\udfff"), "")):
        errors[key] = [f"Surrogate characters are not allowed: U+{ord(bad):X}."]
    return value


def _enum_value(item: dict, key: str, enum: str, errors: dict, required: bool = True):
    if key not in item:
        if required:
            errors[key] = [REQUIRED]
        return None
    values = allowed(enum)
    value = item[key]
    if value is None:
        errors[key] = [NULL]
    elif not (isinstance(value, str) and value in values):
        errors[key] = [f"must be one of {', '.join(values)} (got {str(value)[:50]!r})"]
    return value


def _dict_error(value) -> list[str]:
    if value is None:
        return [NULL]
    return [f"Invalid data. Expected a dictionary, but got {type(value).__name__}."]


class CartItemsField(serializers.Field):
    """``cartItems``: up to hundreds of lines, each checked like ``CartItemInput`` (same rules,
    same messages, errors as ``cartItems[3].quantity.value``) in plain Python — DRF's nested
    serializers cost ~60 field calls a line, the largest share of a 30-line cart's server time
    in bench/_profile_connector.py."""

    default_error_messages = {"not_a_list": 'Expected a list of items but got type "{kind}".'}

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", kind=type(data).__name__)
        problems: dict[int, dict] = {}
        items, seen = [], set()
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                problems[index] = {"non_field_errors": _dict_error(item)}
                continue
            errors: dict = {}
            clean = {
                "id": _text(item, "id", 255, errors),
                "type": _enum_value(item, "type", "CART_ITEM_TYPE", errors),
            }
            quantity = item.get("quantity")
            if "quantity" not in item:
                errors["quantity"] = [REQUIRED]
            elif quantity is None:
                errors["quantity"] = [NULL]
            elif not isinstance(quantity, dict):
                errors["quantity"] = {"non_field_errors": _dict_error(quantity)}
            else:
                q_errors: dict = {}
                value = _text(quantity, "value", 10, q_errors)
                if value is not None and "value" not in q_errors:
                    try:
                        QuantityInput.validate_value(None, value)
                    except serializers.ValidationError as exc:
                        q_errors["value"] = exc.detail
                unit = _text(quantity, "unit", 30, q_errors)
                if q_errors:
                    errors["quantity"] = q_errors
                clean["quantity"] = {"value": value, "unit": unit}
            if "externalIdentifiers" in item:
                identifiers = item["externalIdentifiers"]
                if identifiers is None:
                    errors["externalIdentifiers"] = [NULL]
                elif not isinstance(identifiers, list):
                    errors["externalIdentifiers"] = {
                        "non_field_errors": [
                            f'Expected a list of items but got type "{type(identifiers).__name__}".'
                        ]
                    }
                else:
                    id_errors: dict = {}
                    for n, identifier in enumerate(identifiers):
                        if not isinstance(identifier, dict):
                            id_errors[n] = {"non_field_errors": _dict_error(identifier)}
                            continue
                        one: dict = {}
                        _text(identifier, "id", 255, one)
                        _enum_value(identifier, "type", "EXTERNAL_ID_TYPE", one)
                        if one:
                            id_errors[n] = one
                    if id_errors:
                        errors["externalIdentifiers"] = id_errors
                    clean["externalIdentifiers"] = identifiers
            line = _text(item, "lineItemId", 255, errors, required=False)
            if line is not None:
                clean["lineItemId"] = line
                if "lineItemId" not in errors:
                    if line in seen:
                        raise serializers.ValidationError(f"lineItemId {line} appears twice")
                    seen.add(line)
            if errors:
                problems[index] = errors
            items.append(clean)
        if problems:
            raise serializers.ValidationError(problems)
        return items

    def to_representation(self, value):
        return value


class PurchasesInput(serializers.Serializer):
    requestId = serializers.CharField(validators=[UUID])
    idempotentShoppingTripId = serializers.CharField(max_length=255)
    storeId = StoreIdField()
    shoppingTrip = ShoppingTripInput()
    cartItems = CartItemsField()
    shopperIdentity = IdInput(required=False)
    shopperDeviceId = serializers.CharField(max_length=255, required=False)
    paymentSource = IdInput(required=False)


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


# --- The common case without DRF -----------------------------------------------------------
# A gate call's body is almost always well formed. ``identity_keys_fast`` and ``purchases_fast``
# accept such a body in plain Python and return (validated data, context) exactly as the
# serializers above would (tests/connector/test_properties.py holds them to it); at the first
# doubt they return None and the serializer decides — every refusal, and its message, is DRF's.
# A spelling the FAQ also shows (``eventTimestamp``, ``authLocation``), a number where a
# string is expected, whitespace to trim, non-ASCII text: all left to the serializer.

_DATETIME = serializers.DateTimeField()
_CART = CartItemsField()
_UUID_TEXT = re.compile(UUID.regex.pattern)


def _plain(value, limit: int) -> bool:
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isascii()
        and "\x00" not in value
        and value.strip() == value
    )


def _when(value):
    """A DateTimeField's value, or None (the serializer will say why)."""
    if type(value) is not str:
        return None
    try:
        return _DATETIME.to_internal_value(value)
    except (serializers.ValidationError, ValueError, OverflowError, OSError):
        return None


def _enum_ok(value, enum: str) -> bool:
    return type(value) is str and value in allowed(enum)


def _uuid_text(value, limit: int) -> bool:
    return _plain(value, limit) and _UUID_TEXT.match(value) is not None


def _accepted(data: dict) -> tuple[dict, dict] | None:
    """The accepted data and its context, once its store is one we map (else DRF says why)."""
    mapping = active_mapping(data["storeId"]) if _plain(data["storeId"], 255) else None
    return None if mapping is None else (data, {"mapping": mapping})


def identity_keys_fast(raw) -> tuple[dict, dict] | None:
    """IdentityKeysInput's verdict on a well-formed body, without DRF; None: ask DRF."""
    if type(raw) is not dict:
        return None
    request_id, key, event = raw.get("requestId"), raw.get("identityKey"), raw.get("authEvent")
    if not _uuid_text(request_id, 10_000):
        return None
    if not _plain(key, 1000) or type(event) is not dict:
        return None
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return None
    event_id, location = event.get("id"), event.get("location")
    if not _uuid_text(event_id, 255):
        return None
    if not _enum_ok(location, "LOCATION"):
        return None
    timestamp = _when(event.get("timestamp"))
    if timestamp is None:
        return None
    data = {
        "requestId": request_id,
        "identityKey": key,
        "storeId": raw.get("storeId"),
        "authEvent": {"id": event_id, "timestamp": timestamp, "location": location},
    }
    if "keyChannel" in raw:
        if not _enum_ok(raw["keyChannel"], "KEY_CHANNEL"):
            return None
        data["keyChannel"] = raw["keyChannel"]
    return _accepted(data)


def _id_object(value) -> dict | None:
    if type(value) is not dict or not _plain(value.get("id"), 255):
        return None
    return {"id": value["id"]}


def _purchase_event(event) -> dict | None:
    if type(event) is not dict or "eventTimestamp" in event or "authLocation" in event:
        return None
    if not _plain(event.get("id"), 255) or not _enum_ok(event.get("payloadType"), "PAYLOAD_TYPE"):
        return None
    clean = {"id": event["id"], "payloadType": event["payloadType"]}
    if "timestamp" in event:
        if (clean_time := _when(event["timestamp"])) is None:
            return None
        clean["timestamp"] = clean_time
    if "location" in event:
        if not _enum_ok(event["location"], "LOCATION"):
            return None
        clean["location"] = event["location"]
    if "scanResult" in event:
        scan = event["scanResult"]
        if type(scan) is not dict or not _plain(scan.get("id"), 255):
            return None
        if not _enum_ok(scan.get("type"), "SCAN_RESULT_TYPE"):
            return None
        clean["scanResult"] = {"id": scan["id"], "type": scan["type"]}
    return clean


def purchases_fast(raw) -> tuple[dict, dict] | None:
    """PurchasesInput's verdict on a well-formed body, without DRF; None: ask DRF."""
    if type(raw) is not dict:
        return None
    request_id, trip_id, trip = (
        raw.get("requestId"),
        raw.get("idempotentShoppingTripId"),
        raw.get("shoppingTrip"),
    )
    if not _uuid_text(request_id, 10_000):
        return None
    if not _plain(trip_id, 255) or type(trip) is not dict:
        return None
    start, end = _when(trip.get("startTime")), _when(trip.get("endTime"))
    if start is None or end is None or end < start:
        return None
    if type(trip.get("authEvents")) is not list or not trip["authEvents"]:
        return None
    events = [_purchase_event(e) for e in trip["authEvents"]]
    if any(e is None for e in events):
        return None
    try:
        cart = _CART.to_internal_value(raw.get("cartItems"))
    except serializers.ValidationError:
        return None
    data = {
        "requestId": request_id,
        "idempotentShoppingTripId": trip_id,
        "storeId": raw.get("storeId"),
        "shoppingTrip": {"startTime": start, "endTime": end, "authEvents": events},
        "cartItems": cart,
    }
    for name in ("shopperIdentity", "paymentSource"):
        if name in raw:
            if (found := _id_object(raw[name])) is None:
                return None
            data[name] = found
    if "shopperDeviceId" in raw:
        if not _plain(raw["shopperDeviceId"], 255):
            return None
        data["shopperDeviceId"] = raw["shopperDeviceId"]
    return _accepted(data)
