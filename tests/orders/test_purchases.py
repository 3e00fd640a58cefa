import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from connector.models import ConnectorRequest
from orders.models import Order, OrderLine, Promotion, TaxRate
from orders.services import order_price
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

URL = "/v1/order/purchases"
SECRET = "test-connector-secret"


@pytest.fixture
def store(db):
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-shop-1", delegation_mode="FULL")
    water = ItemFactory(sku="WATER", category="Drinks")
    entitle(mapping.store, water, price="1.99")
    entitle(mapping.store, ItemFactory(sku="CHIPS", category="Snacks"), price="2.49")
    TaxRate.objects.create(store=mapping.store, tax_code="", rate=Decimal("0.07"))
    return mapping.store


def cart(*items, trip_id=None, **extra) -> dict:
    body = {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": trip_id or str(uuid.uuid4()),
        "storeId": "jwo-shop-1",
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
    body.update(extra)
    return body


def post(client, body, secret=SECRET):
    return client.post(
        URL, body, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=secret
    )


@pytest.mark.django_db(transaction=True)
def test_a_cart_becomes_a_priced_order(store):
    Promotion.objects.create(
        merchant=store.merchant,
        name="10% drinks",
        kind="PERCENT_OFF",
        category="Drinks",
        percent=Decimal("10"),
    )
    response = post(Client(), cart(("WATER", "3.0"), ("CHIPS", "1.0")))
    assert response.status_code == 201
    order = Order.objects.get(purchase_id=response.json()["purchaseId"])
    assert (order.status, order.source, order.trip.entry_method) == ("PRICED", "JWO", "CARD")
    assert (order.sub_total, order.promotions_total, order.tax_total, order.total) == (
        Decimal("8.46"),
        Decimal("0.60"),
        Decimal("0.55"),
        Decimal("8.41"),
    )
    assert list(order.lines.values_list("sku", "total")) == [
        ("WATER", Decimal("5.75")),
        ("CHIPS", Decimal("2.66")),
    ]
    assert [e.type for e in order.events.all()] == ["created", "status_changed"]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_sku_is_accepted_and_the_order_waits_in_error(store):
    response = post(Client(), cart(("WATER", "1.0"), ("MYSTERY-1", "1.0")))
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.status, order.error_stage) == ("ERROR", "PRICING")
    assert order.error_message == "item SKU MYSTERY-1 not in catalog"
    entitle(store, ItemFactory(sku="MYSTERY-1"), price="3.00")  # the merchant adds it...
    order = order_price(order_id=order.pk)  # ...and a retry prices it
    assert (order.status, order.error_message, order.total) == ("PRICED", "", Decimal("5.34"))


@pytest.mark.django_db(transaction=True)
def test_an_empty_cart_is_an_order_with_no_lines(store):
    response = post(Client(), cart())
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.status, order.total, OrderLine.objects.count()) == ("PRICED", Decimal("0"), 0)


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_purchases_in_parallel_make_one_order(store):
    body = cart(("WATER", "2.0"), trip_id="trip-parallel-1")
    results = []

    def send() -> None:
        try:
            results.append(post(Client(), {**body, "requestId": str(uuid.uuid4())}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["purchaseId"] for r in results}) == 1
    assert Order.objects.count() == 1
    assert ConnectorRequest.objects.filter(status="ANSWERED").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("cartItems"), "cartItems"),
        (lambda b: b.pop("idempotentShoppingTripId"), "idempotentShoppingTripId"),
        (lambda b: b.update(requestId="x"), "requestId"),
        (
            lambda b: b["shoppingTrip"].update(endTime="2026-11-23T16:00:00Z"),
            "shoppingTrip.endTime",
        ),
        (lambda b: b["shoppingTrip"].update(startTime="soon"), "shoppingTrip.startTime"),
        (lambda b: b["shoppingTrip"].update(authEvents=[]), "shoppingTrip.authEvents"),
        (
            lambda b: b["shoppingTrip"]["authEvents"][0].update(payloadType="CASH"),
            "shoppingTrip.authEvents[0].payloadType",
        ),
        (lambda b: b["cartItems"][0].update(type="BARCODE"), "cartItems[0].type"),
        (
            lambda b: b["cartItems"][0]["quantity"].update(value="12345678901"),
            "cartItems[0].quantity.value",
        ),
        (
            lambda b: b["cartItems"][0]["quantity"].update(value="abc"),
            "cartItems[0].quantity.value",
        ),
        (lambda b: b["cartItems"][1].update(lineItemId="L1"), "cartItems"),
        (lambda b: b.update(storeId="elsewhere"), "storeId"),
    ],
)
def test_each_contract_violation_is_a_400_naming_the_field(client, store, change, field):
    body = cart(("WATER", "1.0"), ("CHIPS", "1.0"))
    change(body)
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_replay_returns_the_same_purchase_id_and_a_changed_cart_is_409(client, store):
    body = cart(("WATER", "1.0"), trip_id="trip-replay")
    first = post(client, body)
    again = post(client, {**body, "requestId": str(uuid.uuid4())})
    assert again.status_code == 201 and again.json() == first.json()
    changed = post(client, cart(("WATER", "2.0"), trip_id="trip-replay"))
    assert changed.status_code == 409
    assert Order.objects.count() == 1
    assert post(client, body, secret="wrong").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_at_create_purchases_costs_a_delay_never_the_purchase(
    store, monkeypatch
):
    """The order commits, queuing its task fails: Amazon still gets 201, and the order carries
    its next action PRICE, which the sweep takes."""
    from kombu.exceptions import OperationalError

    from jwo_console.celery import app
    from payments.services import order_advance, orders_due_claim

    task = app.tasks["payments.tasks.order_advance_task"]

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(task, "apply_async", broker_down)
    body = cart(("WATER", "1.0"))
    assert post(Client(), body).status_code == 201
    order = Order.objects.get(trip__trip_id=body["idempotentShoppingTripId"])
    assert (order.status, order.next_action) == ("PENDING", "PRICE")
    # Amazon's retry of the same cart: the same order, still 201.
    assert post(Client(), {**body, "requestId": str(uuid.uuid4())}).status_code == 201
    monkeypatch.undo()
    [(order_id, claim)] = orders_due_claim(now=order.next_action_at)
    assert order_advance(order_id=order_id, claim=claim) == "PRICE"
    order.refresh_from_db()
    assert (order.status, order.next_action) == ("PRICED", "PAY")


@pytest.mark.django_db(transaction=True)
def test_pricing_that_fails_for_any_reason_leaves_the_order_in_error_with_the_reason(
    store, monkeypatch
):
    from orders import pricing

    def overflow(*args, **kwargs):
        raise ArithmeticError("numeric overflow")

    monkeypatch.setattr(pricing, "price_cart", overflow)
    body = cart(("WATER", "1.0"))
    assert post(Client(), body).status_code == 201
    order = Order.objects.get(trip__trip_id=body["idempotentShoppingTripId"])
    assert order.status == "ERROR" and order.error_stage == "PRICING"
    assert "pricing failed (ArithmeticError: numeric overflow)" in order.error_message
    assert order.next_action == "PRICE" and order.next_action_at is not None


# -- issue 17: line item ids, SCANCODE by any barcode, trip policy, the gate's pre-auth ----------
@pytest.mark.django_db(transaction=True)
def test_line_item_ids_reach_the_order_lines_and_the_order_page(store, merchant):
    response = post(Client(), cart(("WATER", "2.0"), ("CHIPS", "1.0")))
    order = Order.objects.get(purchase_id=response.json()["purchaseId"])
    assert list(order.lines.values_list("line_item_id", "sku")) == [
        ("L1", "WATER"),
        ("L2", "CHIPS"),
    ]
    client = Client()
    client.force_login(merchant)
    page = client.get(f"/financial/orders/{order.pk}/").content.decode()
    assert "Line item id" in page and "<code>L2</code>" in page


@pytest.mark.django_db(transaction=True)
def test_a_scancode_item_resolves_through_any_of_its_barcodes(store):
    item = ItemFactory(
        sku="GUM",
        barcode="000111222333",
        extra_barcodes=[{"id": "04012345", "type": "EAN8"}, {"id": "0123456789012", "type": "EAN"}],
    )
    entitle(store, item, price="0.99")
    body = cart()
    body["cartItems"] = [
        {"id": code, "type": "SCANCODE", "quantity": {"value": "1", "unit": "unit"}}
        for code in ("000111222333", "04012345", "0123456789012")
    ]
    response = post(Client(), body)
    order = Order.objects.get(purchase_id=response.json()["purchaseId"])
    assert order.status == "PRICED", order.error_message
    assert list(order.lines.values_list("sku", flat=True)) == ["GUM", "GUM", "GUM"]
    # a code that is only a prefix of an extra barcode is not that item
    body = cart()
    body["cartItems"] = [
        {"id": "0401234", "type": "SCANCODE", "quantity": {"value": "1", "unit": "u"}}
    ]
    order = Order.objects.get(purchase_id=post(Client(), body).json()["purchaseId"])
    assert order.status == "ERROR" and "0401234" in order.error_message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("scan_type", "policy", "label"),
    [("ASSOCIATE", "NO_CHARGE", "Don't charge"), ("CASH", "REGISTER", "Hand to a register")],
)
def test_associate_and_cash_trips_carry_the_stores_policy(
    store, merchant, scan_type, policy, label
):
    body = cart(("WATER", "1"))
    body["shoppingTrip"]["authEvents"] = [
        {
            "id": "e1",
            "payloadType": "SCAN_CODE",
            "location": "ENTRY",
            "scanResult": {"id": "someone", "type": scan_type},
        }
    ]
    order = Order.objects.get(purchase_id=post(Client(), body).json()["purchaseId"])
    assert (order.trip.visitor_type, order.trip.trip_policy) == (scan_type, policy)
    assert order.events.filter(type="trip_policy", parameters__policy=policy).exists()
    client = Client()
    client.force_login(merchant)
    page = client.get(f"/financial/orders/{order.pk}/").content.decode()
    assert label.replace("'", "&#x27;") in page


@pytest.mark.django_db(transaction=True)
def test_a_stores_policy_can_charge_associates(store):
    store.jwo_mapping.associate_trips = "CHARGE"
    store.jwo_mapping.save()
    body = cart(("WATER", "1"))
    body["shoppingTrip"]["authEvents"][0]["scanResult"] = {"id": "a", "type": "ASSOCIATE"}
    order = Order.objects.get(purchase_id=post(Client(), body).json()["purchaseId"])
    assert order.trip.trip_policy == "CHARGE"


@pytest.mark.django_db(transaction=True)
def test_the_trip_records_the_preauth_the_console_answered_at_the_gate(store, merchant):
    from django.utils import timezone

    mapping = store.jwo_mapping
    mapping.fa_strategy = "RETAILER_MANAGED"
    mapping.fa_expired_card, mapping.fa_expired_card_preauth = "ADJUST", Decimal("10.00")
    mapping.save()
    client = Client()
    for event_id, risks in (("gate-adjusted", ["ExpiredCard"]), ("gate-plain", [])):
        fa = {
            "storeId": "jwo-shop-1",
            "shopperIdentity": {"id": "amzn-card-77"},
            "authorizedAmount": {"value": 25.0, "currencyCode": "USD"},
            "shopperInteraction": {
                "shoppingTripId": str(uuid.uuid4()),
                "gateAuthenticationEvent": {
                    "id": event_id,
                    "type": "CREDIT_CARD",
                    "timestamp": timezone.now().isoformat(),
                },
                "recommendation": {"shopperRisks": risks},
            },
        }
        assert client.post(
            "/v1/fraudandabuse/shopperauthorization",
            fa,
            content_type="application/json",
            HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
        ).json()["shopperAuthorized"]
    trips = {}
    for event_id in ("gate-adjusted", "gate-plain", "never-asked"):
        body = cart(("WATER", "1"))
        body["shoppingTrip"]["authEvents"][0]["id"] = event_id
        order = Order.objects.get(purchase_id=post(client, body).json()["purchaseId"])
        trips[event_id] = (order.trip.authorized_amount, order.trip.authorized_amount_source)
    assert trips == {
        "gate-adjusted": (Decimal("10.00"), "fa_adjust"),
        "gate-plain": (Decimal("25.00"), "fa_approve"),
        "never-asked": (None, ""),
    }
    client.force_login(merchant)
    order = Order.objects.get(trip__auth_events__0__id="gate-adjusted")
    page = client.get(f"/financial/orders/{order.pk}/").content.decode()
    assert "10.00 USD" in page and "reduced by the store" in page
