"""Property-based tests (hypothesis) on the connector's parsers: whatever the bytes, the body
reader either returns a JSON object that PostgreSQL can store or refuses with a field and a
reason; the request shapes never raise; quantities are accepted exactly when they are within
the bounds."""

import json
import math
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connector.parsing import BodyRefused, parse_body, storable_text
from connector.serializers import IdentityKeysInput, PurchasesInput, QuantityInput

MAX_DEPTH = 16
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@PROPERTY
@given(st.binary(max_size=400))
def test_any_bytes_are_parsed_or_refused_with_a_reason(raw):
    try:
        data = parse_body(raw, max_depth=MAX_DEPTH)
    except BodyRefused as exc:
        answer = exc.answer()
        assert answer["message"] and answer["errors"][0]["error"]
        json.dumps(answer)  # storable and sendable
        return
    assert isinstance(data, dict)


@PROPERTY
@given(json_values)
def test_what_is_accepted_is_storable_json(value):
    raw = json.dumps({"v": value}, allow_nan=True).encode()
    try:
        data = parse_body(raw, max_depth=MAX_DEPTH)
    except BodyRefused as exc:
        strings = list(_strings(value))
        assert (
            not _finite(value)
            or _depth({"v": value}) > MAX_DEPTH
            or any("\x00" in s for s in strings)
            or any(not _encodable(s) for s in strings)
        ), exc
        return
    assert _finite(data) and _depth(data) <= MAX_DEPTH
    for text in _strings(data):
        assert "\x00" not in text and _encodable(text)
    # what PostgreSQL's jsonb (and Django's JSONField) accepts
    json.dumps(data, allow_nan=False).encode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@PROPERTY
@given(st.binary(max_size=300))
def test_the_stored_text_of_any_body_is_valid_for_postgres(raw):
    text = storable_text(raw, 1000)
    assert "\x00" not in text and _encodable(text) and len(text) <= 1000


@PROPERTY
@given(
    st.one_of(
        st.text(max_size=12),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(str),
    )
)
def test_a_quantity_is_accepted_exactly_within_the_bounds(value):
    serializer = QuantityInput(data={"value": value, "unit": "unit"})
    accepted = serializer.is_valid()
    text = value.strip()
    plain = (
        0 < len(text) <= 10
        and all(c in "0123456789." for c in text)
        and text.count(".") <= 1
        and not text.startswith(".")
        and not text.endswith(".")
    )
    within = False
    if plain:
        places = len(text.partition(".")[2].rstrip("0"))
        within = 0 < Decimal(text) <= 999 and places <= 3
    assert accepted == within, (value, serializer.errors)
    if not accepted:
        assert list(serializer.errors) == ["value"]


@pytest.mark.django_db
@PROPERTY
@given(json_values, json_values)
def test_the_request_shapes_never_raise(first, second):
    """Any JSON where the contract expects objects: a clean verdict, never an exception."""
    connection.ensure_connection()
    for shape, data in (
        (IdentityKeysInput, {"requestId": first, "authEvent": second, "storeId": "x"}),
        (
            PurchasesInput,
            {"shoppingTrip": {"authEvents": first, "startTime": second}, "cartItems": second},
        ),
        (
            PurchasesInput,
            {"cartItems": [{"quantity": first, "type": "SKU", "id": second}]},
        ),
    ):
        serializer = shape(data=data, context={})
        assert serializer.is_valid() is False
        json.dumps(serializer.errors, default=str)


@pytest.mark.django_db
@PROPERTY
@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
    )
)
def test_epoch_timestamps_never_raise(timestamp):
    data = {
        "requestId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "identityKey": "SldPSU1BRzE4YmMwNTU0ZDA0NWE0OGIyOWFmYTllMmFhYWMxNGFl",
        "storeId": "nowhere",
        "authEvent": {
            "id": "11111111-2222-3333-4444-555555555555",
            "eventTimestamp": timestamp,
            "location": "ENTRY",
        },
    }
    serializer = IdentityKeysInput(data=data, context={})
    assert serializer.is_valid() is False  # the store is not mapped, whatever the time
    assert "storeId" in serializer.errors


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.sampled_from(["1", "1.0", "0.255", "1e3", "", " ", "SKU", "SCANCODE", "UPC", "x" * 300]),
    st.text(max_size=12),
)
cart_items = st.lists(
    st.one_of(
        scalars,
        st.fixed_dictionaries(
            {},
            optional={
                "id": scalars,
                "type": st.one_of(scalars, st.sampled_from(["SKU", "SCANCODE"])),
                "quantity": st.one_of(
                    scalars,
                    st.fixed_dictionaries(
                        {}, optional={"value": scalars, "unit": scalars, "other": scalars}
                    ),
                ),
                "externalIdentifiers": st.one_of(
                    scalars,
                    st.lists(
                        st.one_of(
                            scalars,
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "id": scalars,
                                    "type": st.one_of(scalars, st.sampled_from(["UPC", "EAN"])),
                                },
                            ),
                        ),
                        max_size=3,
                    ),
                ),
                "lineItemId": st.one_of(scalars, st.integers(0, 3).map(lambda n: f"L{n}")),
            },
        ),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(cart_items)
def test_the_fast_cart_check_agrees_with_the_drf_shape(items):
    """cartItems is checked in plain Python for speed (CartItemsField): its verdict and the
    fields it names are those of the DRF serializer it replaces (CartItemInput)."""
    from rest_framework import serializers as drf

    from connector.serializers import CartItemInput, CartItemsField, flatten_errors

    class Fast(drf.Serializer):
        cartItems = CartItemsField()

    class Slow(drf.Serializer):
        cartItems = CartItemInput(many=True, allow_empty=True)

    fast, slow = Fast(data={"cartItems": items}), Slow(data={"cartItems": items})
    fast_ok, slow_ok = fast.is_valid(), slow.is_valid()
    lines = [i.get("lineItemId") for i in items if isinstance(i, dict) and "lineItemId" in i]
    duplicate = len(lines) != len(set(map(str, lines)))
    if duplicate and slow_ok:
        assert not fast_ok  # the duplicate check is the fast one's own
        return
    assert fast_ok == slow_ok, (fast.errors, slow.errors)
    if not fast_ok and not duplicate:
        assert flatten_errors(fast.errors) == flatten_errors(slow.errors)


# --- The plain-Python accept of a well-formed gate call (connector/serializers.py) -----------
GOOD_IDENTITY = {
    "requestId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "identityKey": "SldPSU1BRzE4YmMwNTU0ZDA0NWE0OGIyOWFmYTllMmFhYWMxNGFl",
    "storeId": "jwo-fast",
    "authEvent": {
        "id": "11111111-2222-3333-4444-555555555555",
        "timestamp": "2026-11-23T17:00:00Z",
        "location": "ENTRY",
    },
    "keyChannel": "OPTICAL",
}
GOOD_PURCHASE = {
    "requestId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "idempotentShoppingTripId": "trip-1",
    "storeId": "jwo-fast",
    "shoppingTrip": {
        "startTime": "2026-11-23T17:00:00Z",
        "endTime": "2026-11-23T18:05:00.250+01:00",
        "authEvents": [
            {"id": "e1", "payloadType": "FINANCIAL", "timestamp": "2026-11-23T17:00:00Z"},
            {"id": "e2", "payloadType": "SCAN_CODE", "scanResult": {"id": "L1", "type": "LOYALTY"}},
        ],
    },
    "cartItems": [
        {"id": "SKU-1", "type": "SKU", "quantity": {"value": "1.0", "unit": "unit"}},
        {"id": "012345", "type": "SCANCODE", "quantity": {"value": "0.25", "unit": "kg"}},
    ],
    "shopperIdentity": {"id": "shopper-1"},
    "paymentSource": {"id": "card-1"},
    "shopperDeviceId": "device-1",
}
near_values = st.one_of(
    scalars,
    st.sampled_from(
        [
            " padded ",
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890\n",
            "2026-11-23T17:00:00Z",
            "2026-11-23T18:00:00",
            "1700000000",
            "ENTRY",
            "MANUAL_IN_STORE",
            "OPTICAL",
            "FINANCIAL",
            "LOYALTY",
            "jwo-fast",
            "jwo-elsewhere",
            "not base64!",
            "é",
            "a\x00b",
            "\ud800",
        ]
    ),
    st.dictionaries(st.sampled_from(["id", "type", "value"]), scalars, max_size=2),
    st.lists(scalars, max_size=2),
)
# A mutation: a path into the body and what to do there (drop it, or put a value).
paths = st.lists(
    st.sampled_from(
        [
            "requestId",
            "identityKey",
            "storeId",
            "keyChannel",
            "authEvent",
            "authEvent.id",
            "authEvent.timestamp",
            "authEvent.eventTimestamp",
            "authEvent.location",
            "authEvent.authLocation",
            "idempotentShoppingTripId",
            "shoppingTrip",
            "shoppingTrip.startTime",
            "shoppingTrip.endTime",
            "shoppingTrip.authEvents",
            "shoppingTrip.authEvents.0",
            "shoppingTrip.authEvents.0.id",
            "shoppingTrip.authEvents.0.payloadType",
            "shoppingTrip.authEvents.0.timestamp",
            "shoppingTrip.authEvents.0.location",
            "shoppingTrip.authEvents.1.scanResult",
            "shoppingTrip.authEvents.1.scanResult.type",
            "shoppingTrip.authEvents.1.eventTimestamp",
            "cartItems",
            "cartItems.0.quantity.value",
            "cartItems.1.id",
            "shopperIdentity",
            "shopperIdentity.id",
            "paymentSource",
            "shopperDeviceId",
        ]
    ),
    max_size=3,
)


TRANSFORMS = {
    "pad": lambda v: f" {v} ",
    "newline": lambda v: f"{v}\n",
    "upper": str.upper,
    "lower": str.lower,
    "accent": lambda v: f"{v}é",
    "earlier": lambda v: "2026-11-23T16:00:00Z",
    "same-instant": lambda v: "2026-11-23T18:00:00+01:00",
    "naive": lambda v: "2026-11-23T17:00:00",
    "long": lambda v: (v * 300)[:20_000],  # past every limit, bounded when applied again
    "number": lambda v: 7,
}
transforms = st.sampled_from(sorted(TRANSFORMS)).map(lambda name: ("transform", name))


def _mutate(body, path: str, value, drop: bool):
    *parents, last = path.split(".")
    node = body
    for part in parents:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return
            node = node[int(part)]
        else:
            node = node.get(part)
        if not isinstance(node, dict | list):
            return
    if isinstance(node, list):
        if last.isdigit() and int(last) < len(node):
            node[int(last)] = value
    elif drop:
        node.pop(last, None)
    elif isinstance(value, tuple):  # a change of what is there
        if isinstance(node.get(last), str):
            node[last] = TRANSFORMS[value[1]](node[last])
    else:
        node[last] = value


def _plain_data(value):
    if isinstance(value, dict):
        return {k: _plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    return value


@pytest.fixture
def fast_store():
    from tests.factories import JwoStoreMappingFactory

    return JwoStoreMappingFactory(jwo_store_id="jwo-fast")


@pytest.mark.django_db
def test_the_fast_accept_takes_the_well_formed_bodies(fast_store):
    from connector.serializers import identity_keys_fast, purchases_fast

    for fast, good in ((identity_keys_fast, GOOD_IDENTITY), (purchases_fast, GOOD_PURCHASE)):
        accepted = fast(json.loads(json.dumps(good)))
        assert accepted is not None
        assert accepted[1]["mapping"].pk == fast_store.pk


@pytest.mark.django_db
@settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.booleans(),
    st.lists(
        st.tuples(paths, st.one_of(transforms, transforms, near_values), st.booleans()),
        max_size=3,
    ),
)
@example(True, [(["shoppingTrip.endTime"], ("transform", "earlier"), False)])
@example(True, [(["shoppingTrip.startTime"], ("transform", "same-instant"), False)])
@example(False, [(["authEvent.timestamp"], ("transform", "naive"), False)])
@example(False, [(["identityKey"], ("transform", "long"), False)])
@example(True, [(["idempotentShoppingTripId"], ("transform", "long"), False)])
def test_the_fast_accept_agrees_with_the_serializers(fast_store, purchase, mutations):
    """Whatever a body holds, the plain-Python accept either leaves it to DRF (None) or gives
    exactly the data and the mapping the serializer would: it never admits what DRF refuses."""
    from connector.serializers import identity_keys_fast, purchases_fast

    fast, shape, good = (
        (purchases_fast, PurchasesInput, GOOD_PURCHASE)
        if purchase
        else (identity_keys_fast, IdentityKeysInput, GOOD_IDENTITY)
    )
    body = json.loads(json.dumps(good))
    for chosen, value, drop in mutations:
        for path in chosen:
            copied = value if isinstance(value, tuple) else json.loads(json.dumps(value))
            _mutate(body, path, copied, drop and not isinstance(value, tuple))
    # What the pipeline hands both: the body as connector/parsing.py reads it (a NUL or a lone
    # surrogate is refused there, before either sees it).
    try:
        parsed = parse_body(json.dumps(body).encode("utf-8", "surrogatepass"), max_depth=32)
    except BodyRefused:
        return
    accepted = fast(json.loads(json.dumps(parsed)))
    serializer = shape(data=parsed, context={})
    try:
        valid = serializer.is_valid()
    except (ValueError, OverflowError, OSError):
        valid = False
    if accepted is None:
        return
    assert valid, serializer.errors
    data, context = accepted
    assert data == _plain_data(serializer.validated_data)
    assert context["mapping"].pk == serializer.context["mapping"].pk
