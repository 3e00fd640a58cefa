import uuid
from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import StoreItem
from orders.models import Order, TaxRate
from stock.models import StockLevel
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

SECRET = "test-connector-secret"


@pytest.fixture
def shop(db):
    return make_shop()


def make_shop():
    """A mapped store selling water, chips and apples (by the pound)."""
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-stock-1", alert_emails="ops@shop.example")
    store = mapping.store
    entitle(store, ItemFactory(sku="WATER", name="Spring Water 1L"), price="1.99")
    entitle(store, ItemFactory(sku="CHIPS", name="Sea Salt Chips"), price="2.49")
    entitle(store, ItemFactory(sku="APPLES", name="Gala Apples"), price="2.99")
    TaxRate.objects.create(store=store, tax_code="", rate=Decimal("0.07"))
    return mapping


def entitlement(store, sku) -> StoreItem:
    return StoreItem.objects.get(store=store, item__sku=sku)


def on_hand(store, sku) -> Decimal:
    level = StockLevel.objects.filter(store_item=entitlement(store, sku)).first()
    return level.on_hand if level else Decimal(0)


def cart(*items, trip_id=None, jwo_store_id="jwo-stock-1") -> dict:
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": trip_id or f"test-ok-{uuid.uuid4().hex[:12]}",
        "storeId": jwo_store_id,
        "shoppingTrip": {
            "startTime": "2026-11-23T17:00:00Z",
            "endTime": "2026-11-23T17:09:39Z",
            "authEvents": [
                {
                    "id": "e1",
                    "timestamp": "2026-11-23T17:00:00Z",
                    "location": "ENTRY",
                    "payloadType": "FINANCIAL",
                }
            ],
        },
        "cartItems": [
            {
                "id": sku,
                "type": "SKU",
                "quantity": {"value": qty, "unit": "unit"},
                "lineItemId": f"L{n}",
            }
            for n, (sku, qty) in enumerate(items, start=1)
        ],
    }


def walk_out(*items, client=None, **kw) -> Order:
    """A shopper leaves with ``items``: Amazon's CreatePurchases through the connector; the
    order is priced after commit (Celery runs eagerly in the tests)."""
    response = (client or Client()).post(
        "/v1/order/purchases",
        cart(*items, **kw),
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
    )
    assert response.status_code == 201, response.content
    return Order.objects.get(purchase_id=response.json()["purchaseId"])
