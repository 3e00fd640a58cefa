"""ResolveScan and loyalty discounts, with the sandbox playing YinzCam and VenueNext over HTTP."""

import base64
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from connector.models import ConnectorRequest
from orders.models import Order
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "test-connector-secret"


@pytest.fixture
def venue(sandbox):
    mapping = JwoStoreMappingFactory(
        jwo_store_id="jwo-loyal-1", loyalty_provider="VENUENEXT", delegation_mode="FULL"
    )
    entitle(mapping.store, ItemFactory(sku="HOTDOG", category="Food"), price="10.00")
    return mapping


def scan(code: str, encode: bool = True):
    scan_id = base64.b64encode(code.encode()).decode() if encode else code
    body = {
        "requestId": str(uuid.uuid4()),
        "storeId": "jwo-loyal-1",
        "scanEvent": {
            "id": scan_id,
            "timestamp": "2026-11-23T13:03:14Z",
            "location": "ENTRY",
            "value": "string",
            "channel": "OPTICAL",
        },
    }
    return Client().post(
        "/v1/identity/scan",
        body,
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
    )


def test_a_member_code_is_accepted_through_the_stores_provider(venue):
    response = scan("LOYALTY000121")
    assert response.status_code == 200
    assert response.json() == {
        "id": "vn-000121",
        "type": "LOYALTY",
        "action": "ACCEPT",
        "resolution": "ACCEPT",
        "scanResult": {"id": "vn-000121", "type": "LOYALTY"},
    }
    assert scan("LOYALTY000121", encode=False).json()["action"] == "ACCEPT"  # a plain id too
    assert scan("LOYALTYX00001").json()["action"] == "REJECT"


def test_a_provider_that_does_not_answer_is_a_500_that_can_be_replayed(venue, settings):
    settings.VENUENEXT_URL = "http://127.0.0.1:9/nothing"
    assert scan("LOYALTY000121").status_code == 500
    assert ConnectorRequest.objects.get().status == "FAILED"


def test_the_members_discount_is_applied_in_full_delegation(venue):
    body = {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": str(uuid.uuid4()),
        "storeId": "jwo-loyal-1",
        "shoppingTrip": {
            "startTime": "2026-11-23T17:00:00Z",
            "endTime": "2026-11-23T17:05:00Z",
            "authEvents": [
                {"id": "e1", "payloadType": "FINANCIAL"},
                {
                    "id": "e2",
                    "payloadType": "SCAN_CODE",
                    "scanResult": {"id": "vn-000121", "type": "LOYALTY"},
                },
            ],
        },
        "cartItems": [
            {"id": "HOTDOG", "type": "SKU", "quantity": {"value": "2.0", "unit": "unit"}}
        ],
    }
    response = Client().post(
        "/v1/order/purchases",
        body,
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
    )
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.trip.loyalty_ids == ["vn-000121"]
    assert (order.status, order.promotions_total, order.total) == (
        "PRICED",
        Decimal("2.00"),
        Decimal("18.00"),
    )
    assert order.lines.get().promotions == [{"name": "VenueNext Gold rewards", "amount": "2.00"}]
