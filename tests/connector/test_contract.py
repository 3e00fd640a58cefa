"""Amazon's letter beyond shape: enums, GetScanDetails, GetShopper's malformed key, the per-store
throttle and the OpenAPI document."""

import base64
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from connector import throttle
from connector.models import ConnectorRequest
from orders.models import ShoppingTrip
from shoppers.models import GateDecision, Shopper
from shoppers.services import scan_key_issue
from tests.factories import JwoStoreMappingFactory

SECRET = "test-connector-secret"


def post(client, url, body):
    return client.post(
        url, body, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET
    )


@pytest.fixture
def mapping(db):
    return JwoStoreMappingFactory(jwo_store_id="jwo-contract-1", fa_strategy="RETAILER_MANAGED")


def identity(key="SldPSU1BRzE4YmMwNTU0ZDA0NWE0OGIyOWFmYTllMmFhYWMxNGFl", **event) -> dict:
    return {
        "requestId": str(uuid.uuid4()),
        "identityKey": key,
        "storeId": "jwo-contract-1",
        "authEvent": {
            "id": str(uuid.uuid4()),
            "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": "ENTRY",
            **event,
        },
        "keyChannel": "OPTICAL",
    }


def purchase(event: dict | None = None, items: list | None = None) -> dict:
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": str(uuid.uuid4()),
        "storeId": "jwo-contract-1",
        "shoppingTrip": {
            "startTime": "2026-11-23T17:00:00Z",
            "endTime": "2026-11-23T17:09:39Z",
            "authEvents": [
                {"id": "e1", "payloadType": "SCAN_CODE", "location": "ENTRY", **(event or {})}
            ],
        },
        "cartItems": items
        if items is not None
        else [
            {
                "id": "SKU-1",
                "type": "SKU",
                "quantity": {"value": "1.0", "unit": "unit"},
                "externalIdentifiers": [{"id": "012345678905", "type": "UPC"}],
            }
        ],
    }


# -- enums --------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        (lambda b: b["authEvent"].update(location="EXIT"), "authEvent.location", "ENTRY"),
        (lambda b: b.update(keyChannel="NFC"), "keyChannel", "OPTICAL"),
        (lambda b: b["authEvent"].update(location="entry"), "authEvent.location", "ENTRY"),
    ],
)
def test_identity_keys_enum_outside_the_documented_set_is_a_400(
    client, mapping, change, field, allowed
):
    body = identity()
    change(body)
    response = post(client, "/v1/identity/identity-keys", body)
    assert response.status_code == 400  # not 401: a malformed request, not a refused shopper
    errors = {e["field"]: e["error"] for e in response.json()["errors"]}
    assert allowed in errors[field] and "must be one of" in errors[field]
    assert GateDecision.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["shoppingTrip"]["authEvents"][0].update(location="GATE"), "location"),
        (
            lambda b: b["shoppingTrip"]["authEvents"][0].update(
                scanResult={"id": "x", "type": "VIP"}
            ),
            "scanResult.type",
        ),
        (
            lambda b: b["cartItems"][0]["externalIdentifiers"][0].update(type="SERIAL"),
            "externalIdentifiers[0].type",
        ),
        (lambda b: b["cartItems"][0].update(type="PLU"), "cartItems[0].type"),
    ],
)
def test_purchases_enum_outside_the_documented_set_is_a_400(client, mapping, change, field):
    body = purchase()
    change(body)
    response = post(client, "/v1/order/purchases", body)
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.endswith(field) for f in fields), fields
    assert ShoppingTrip.objects.count() == 0


@pytest.mark.django_db
def test_a_setting_admits_further_enum_values_without_a_release(client, mapping, settings):
    settings.JWO_CONNECTOR_ENUM_EXTRA = {"LOCATION": ["EXIT"], "SCAN_RESULT_TYPE": ["CASH_SHOPPER"]}
    body = purchase(event={"location": "EXIT", "scanResult": {"id": "c1", "type": "CASH_SHOPPER"}})
    assert post(client, "/v1/order/purchases", body).status_code == 201
    doc = client.get("/v1/openapi.json").json()
    location = doc["components"]["schemas"]["IdentityKeys"]["properties"]["authEvent"]
    assert location["properties"]["location"]["enum"] == ["ENTRY", "MANUAL_IN_STORE", "EXIT"]


@pytest.mark.django_db
def test_the_faqs_spellings_are_still_accepted(client, mapping):
    body = identity()
    event = body["authEvent"]
    event["eventTimestamp"] = int(timezone.now().timestamp())
    event["authLocation"] = event.pop("location")
    del event["timestamp"]
    assert post(client, "/v1/identity/identity-keys", body).status_code == 401  # decided
    assert GateDecision.objects.get().reason == "MALFORMED_KEY"
    body = identity()
    body["authEvent"]["authLocation"] = "NOWHERE"
    del body["authEvent"]["location"]
    assert post(client, "/v1/identity/identity-keys", body).status_code == 400


# -- quantities ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["1E+12", "1e-999999", "99999999", "NaN", "Infinity", "1.0001", "0", "-1", "1000"]
)
def test_a_quantity_outside_the_bounds_is_a_400_naming_the_field(client, mapping, value):
    body = purchase(items=[{"id": "A", "type": "SKU", "quantity": {"value": value, "unit": "u"}}])
    response = post(client, "/v1/order/purchases", body)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["cartItems[0].quantity.value"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1", "1.0", "0.255", "999", "2.5000", "999.000"])
def test_quantities_within_the_bounds_are_accepted(client, mapping, value):
    body = purchase(items=[{"id": "A", "type": "SKU", "quantity": {"value": value, "unit": "u"}}])
    assert post(client, "/v1/order/purchases", body).status_code == 201


@pytest.mark.django_db
def test_the_quantity_limit_is_a_setting(client, mapping, settings):
    settings.JWO_CART_MAX_QUANTITY = 5
    body = purchase(items=[{"id": "A", "type": "SKU", "quantity": {"value": "6", "unit": "u"}}])
    response = post(client, "/v1/order/purchases", body)
    assert "at most 5" in response.json()["message"]


# -- GetShopper ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_get_shopper_with_a_key_that_is_not_base64_is_a_400(client, mapping):
    body = {
        "requestId": str(uuid.uuid4()),
        "shopperKey": "not base64!!",
        "shopperKeyType": "QR_CODE",
        "storeId": "jwo-contract-1",
    }
    response = post(client, "/v1/identity/shopper", body)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "shopperKey", "error": "is not valid Base64"}]
    body["shopperKey"] = base64.b64encode(b"JWO-not-a-code").decode()
    body["requestId"] = str(uuid.uuid4())
    assert post(client, "/v1/identity/shopper", body).status_code == 401  # well-formed, no one
    shopper = Shopper.objects.create(email="gs@example.com")
    body["shopperKey"] = base64.b64encode(scan_key_issue(shopper=shopper).code.encode()).decode()
    body["requestId"] = str(uuid.uuid4())
    answer = post(client, "/v1/identity/shopper", body)
    assert answer.json()["visitorDetails"]["id"] == str(shopper.public_id)


# -- GetScanDetails -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_get_scan_details_answers_from_what_resolve_scan_accepted(sandbox):
    JwoStoreMappingFactory(jwo_store_id="jwo-contract-1", loyalty_provider="VENUENEXT")
    client = Client()
    scan = {
        "requestId": str(uuid.uuid4()),
        "storeId": "jwo-contract-1",
        "scanEvent": {
            "id": base64.b64encode(b"LOYALTY000121").decode(),
            "location": "ENTRY",
            "channel": "OPTICAL",
        },
    }
    resolved = post(client, "/v1/identity/scan", scan).json()
    assert resolved["resolution"] == "ACCEPT"
    details = {
        "requestId": str(uuid.uuid4()),
        "storeId": "jwo-contract-1",
        "scanResult": resolved["scanResult"],
    }
    response = post(client, "/v1/identity/scan/details", details)
    assert response.status_code == 200
    answer = response.json()
    assert answer["provider"] == "VenueNext" and isinstance(answer["promotionIds"], list)
    # deduplicated on requestId, stored like every call
    assert post(client, "/v1/identity/scan/details", details).json() == answer
    assert ConnectorRequest.objects.filter(endpoint="SCAN_DETAILS", status="DUPLICATE").exists()
    # what ResolveScan did not accept is a 404; a bad type a 400 naming the field
    unknown = {**details, "requestId": str(uuid.uuid4())}
    unknown["scanResult"] = {"id": "vn-999999", "type": "LOYALTY"}
    assert post(client, "/v1/identity/scan/details", unknown).status_code == 404
    bad = {**details, "requestId": str(uuid.uuid4()), "scanResult": {"id": "x", "type": "GOLD"}}
    response = post(client, "/v1/identity/scan/details", bad)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "scanResult.type"
    missing = post(client, "/v1/identity/scan/details", {"storeId": "jwo-contract-1"})
    assert missing.json()["errors"] == [{"field": "scanResult", "error": "This field is required."}]


# -- throttle -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_store_over_its_rate_gets_429_with_retry_after(client, mapping, settings):
    settings.JWO_CONNECTOR_RATE_PER_STORE = "3/hour"
    throttle.reset()
    JwoStoreMappingFactory(jwo_store_id="jwo-contract-2")
    try:
        codes = [
            post(client, "/v1/identity/identity-keys", identity()).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        response = post(client, "/v1/identity/identity-keys", identity())
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 3600
        assert "Too many requests" in response.json()["message"]
        assert ConnectorRequest.objects.filter(status="THROTTLED").count() == 2
        other = identity()
        other["storeId"] = "jwo-contract-2"
        assert post(client, "/v1/identity/identity-keys", other).status_code == 401  # per store
    finally:
        throttle.reset()


def test_the_default_rate_is_generous(settings):
    from limits import parse

    assert parse(settings.JWO_CONNECTOR_RATE_PER_STORE).amount >= 1000


# -- OpenAPI ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_openapi_document_lists_the_six_endpoints(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/v1/identity/identity-keys",
        "/v1/identity/shopper",
        "/v1/identity/scan",
        "/v1/identity/scan/details",
        "/v1/fraudandabuse/shopperauthorization",
        "/v1/order/purchases",
    }
    assert doc["components"]["securitySchemes"]["ConnectorSecret"]["name"] == (
        "X-JWO-Connector-Secret"
    )
    risks = doc["components"]["schemas"]["ShopperAuthorization"]["properties"]
    recommendation = risks["shopperInteraction"]["properties"]["recommendation"]
    assert "ExpiredCard" in recommendation["properties"]["shopperRisks"]["items"]["enum"]


def test_a_generous_limit_is_counted_in_batches_and_still_refuses(settings):
    """Counting 1 % of the limit (or 50 ms) at a time keeps Redis off the gate's path; the
    shared count still sees every request, and a store over it is refused."""
    import time as clock

    from limits import parse

    settings.JWO_CONNECTOR_RATE_PER_STORE = "1000/hour"
    throttle.reset()
    item = parse("1000/hour")
    limiter = throttle._limiter(settings.REDIS_URL or "")

    def remaining() -> int:
        return limiter.get_window_stats(item, throttle.PREFIX, "jwo-batch").remaining

    try:
        assert throttle.store_hit("jwo-batch") == 0  # the first one is counted at once
        assert remaining() == 999
        for _ in range(5):
            assert throttle.store_hit("jwo-batch") == 0
        assert remaining() == 999  # held locally: no round trip
        clock.sleep(throttle.SYNC_SECONDS + 0.01)
        assert throttle.store_hit("jwo-batch") == 0
        assert remaining() == 993  # the batch, added at once
        limiter.hit(item, throttle.PREFIX, "jwo-batch", cost=remaining())  # others used it up
        clock.sleep(throttle.SYNC_SECONDS + 0.01)
        wait = throttle.store_hit("jwo-batch")
        assert 1 <= wait <= 3600
        assert throttle.store_hit("jwo-batch") >= 1  # refused locally until the window ends
    finally:
        throttle.reset()
