import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from alerts.choices import AlertStatus
from alerts.models import Alert
from catalog.models import Item
from orders.models import Order
from orders.services import order_price
from payments.services import payment_collect
from stock import services
from stock.choices import MovementKind
from stock.models import StockLevel, StockMovement
from tests.factories import ItemFactory, entitle

from .conftest import SECRET, cart, entitlement, on_hand, walk_out

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_priced_order_takes_its_items_out_of_stock(shop):
    store = shop.store
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("10"), actor=None)
    order = walk_out(("WATER", "3.0"), ("CHIPS", "1.0"), ("WATER", "1.0"), ("APPLES", "0.452"))
    assert order.status == "PRICED"
    assert on_hand(store, "WATER") == Decimal("6")  # two lines of one SKU: one movement of 4
    assert on_hand(store, "CHIPS") == Decimal("-1")  # never counted: negative, not refused
    assert on_hand(store, "APPLES") == Decimal("-0.452")  # weighed
    sale = StockMovement.objects.get(kind=MovementKind.JWO_SALE, store_item__item__sku="WATER")
    assert (sale.quantity, sale.on_hand_after, sale.order_id) == (
        Decimal("-4"),
        Decimal("6"),
        order.pk,
    )


def test_a_scanned_code_and_a_sku_of_one_item_leave_stock_as_one_movement(shop):
    """Pricing hands depletion the entitlements it priced, whether a line came by SKU or by a
    scanned barcode: the item leaves stock once, by the sum of its lines."""
    store = shop.store
    water = Item.objects.get(sku="WATER")
    payload = cart(("WATER", "2.0"), ("CHIPS", "1.0"), ("WATER", "1.0"))
    payload["cartItems"][2].update(id=water.barcode, type="SCANCODE")
    response = Client().post(
        "/v1/order/purchases",
        payload,
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
    )
    assert response.status_code == 201, response.content
    order = Order.objects.get(purchase_id=response.json()["purchaseId"])
    assert order.status == "PRICED"
    assert (on_hand(store, "WATER"), on_hand(store, "CHIPS")) == (Decimal("-3"), Decimal("-1"))
    sale = StockMovement.objects.get(kind=MovementKind.JWO_SALE, store_item__item=water)
    assert (sale.quantity, sale.on_hand_after, sale.order_id) == (
        Decimal("-3"),
        Decimal("-3"),
        order.pk,
    )


def test_re_pricing_and_retries_deplete_once(shop):
    store = shop.store
    order = walk_out(("WATER", "2.0"))
    assert on_hand(store, "WATER") == Decimal("-2")
    # It went back to ERROR at the pricing stage (say, the loyalty provider did not answer) and
    # is priced again: the lines are written anew. (An order in ERROR at the payment stage is
    # never priced again: it keeps its lines.)
    Order.objects.filter(pk=order.pk).update(status="ERROR", error_stage="PRICING")
    again = order_price(order_id=order.pk)
    assert again.status == "PRICED"
    assert on_hand(store, "WATER") == Decimal("-2")
    assert StockMovement.objects.filter(kind=MovementKind.JWO_SALE).count() == 1
    assert services.stock_deplete_for_order(order=again) == 0


def test_an_order_waiting_for_an_item_depletes_when_it_is_finally_priced(shop, settings):
    store = shop.store
    order = walk_out(("WATER", "1.0"), ("NEWSODA", "2.0"))
    assert order.status == "ERROR" and "NEWSODA" in order.error_message
    assert StockMovement.objects.count() == 0  # not priced: nothing leaves stock
    entitle(store, ItemFactory(sku="NEWSODA", name="New Soda"), price="1.50")
    Order.objects.filter(pk=order.pk).update(last_attempt_at=None)
    payment_collect(order_id=order.pk, trigger="MANUAL")  # staff's Retry re-prices first
    order.refresh_from_db()
    assert order.status != "PENDING" and order.priced_at is not None
    assert (on_hand(store, "WATER"), on_hand(store, "NEWSODA")) == (Decimal("-1"), Decimal("-2"))
    payment_collect(order_id=order.pk, trigger="AUTO")
    assert StockMovement.objects.filter(kind=MovementKind.JWO_SALE).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_orders_lose_no_update(shop):
    store = shop.store
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("100"), actor=None)
    n_threads, per_thread = 8, 5
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def shopper():
        try:
            barrier.wait()
            for _ in range(per_thread):
                walk_out(("WATER", "1.0"), ("CHIPS", "2.0"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=shopper) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    orders = n_threads * per_thread
    assert Order.objects.filter(status="PRICED").count() == orders
    assert on_hand(store, "WATER") == Decimal(100 - orders)
    assert on_hand(store, "CHIPS") == Decimal(-2 * orders)
    moves = StockMovement.objects.filter(kind=MovementKind.JWO_SALE, store_item__item__sku="WATER")
    assert moves.count() == orders
    # The ledger and the level agree, and every on_hand_after is a distinct step.
    assert sorted(m.on_hand_after for m in moves) == [
        Decimal(100 - k) for k in range(orders, 0, -1)
    ]


def test_cart_event_source_never_with_the_order(shop):
    store = shop.store
    shop.stock_source = "CART_EVENT"
    shop.save()
    trip = "test-ok-cart-event-1"
    # The event feed depletes from Amazon's CART event...
    moved = services.stock_deplete_for_cart_event(
        store=store,
        jwo_store_id="jwo-stock-1",
        trip_id=trip,
        items=[("WATER", Decimal("2")), ("UNKNOWN", Decimal("1"))],
    )
    assert moved == 1
    # ...and the priced order of the same trip takes nothing.
    order = walk_out(("WATER", "2.0"), trip_id=trip)
    assert order.status == "PRICED"
    assert on_hand(store, "WATER") == Decimal("-2")
    # Even if the store switches back to the order as source mid-trip, the trip counts once.
    shop.stock_source = "ORDER"
    shop.save()
    assert services.stock_deplete_for_order(order=order) == 0
    assert (
        services.stock_deplete_for_cart_event(
            store=store, jwo_store_id="jwo-stock-1", trip_id=trip, items=[("WATER", Decimal("2"))]
        )
        == 0
    )  # the order is the source now: the event does nothing
    assert on_hand(store, "WATER") == Decimal("-2")


def test_low_stock_alert_opens_once_and_resolves_when_restocked(shop, mailoutbox):
    store = shop.store
    water = entitlement(store, "WATER")
    services.stock_count(store_item=water, counted=Decimal("5"), actor=None)
    services.stock_reorder_point_set(store_item=water, reorder_point=Decimal("3"), actor=None)
    walk_out(("WATER", "1.0"))  # 4: fine
    assert Alert.objects.count() == 0
    walk_out(("WATER", "2.0"))  # 2: below 3
    walk_out(("WATER", "1.0"))  # 1: still below, no second alert
    alert = Alert.objects.get()
    assert alert.kind == "LOW_STOCK" and alert.store == store and alert.status == "OPEN"
    assert "Spring Water 1L" in alert.title and alert.severity == "warning"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ops@shop.example"]
    walk_out(("WATER", "2.0"))  # -1: negative, the same alert turns critical
    alert.refresh_from_db()
    assert alert.severity == "critical" and alert.occurrences == 2
    assert len(mailoutbox) == 1
    services.stock_adjust(
        store_item=water, quantity=Decimal("24"), reason="", actor=None, kind=MovementKind.RECEIPT
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    item = Item.objects.get(sku="WATER")
    assert alert.key == services.low_stock_key(store_id=store.pk, item_id=item.pk)


def test_never_charged_orders_are_restored_when_the_store_says_so(shop, settings):
    store = shop.store
    order = walk_out(("WATER", "2.0"), ("CHIPS", "1.0"))
    assert on_hand(store, "WATER") == Decimal("-2")
    # The retry window closes with nothing captured.
    old = timezone.now() - timedelta(hours=settings.JWO_RETRY_WINDOW_HOURS + 1)
    Order.objects.filter(pk=order.pk).update(status="ERROR", error_stage="PAYMENT", created_at=old)
    assert services.stock_unpaid_restore_sweep() == 0  # the store keeps stock out by default
    assert on_hand(store, "WATER") == Decimal("-2")
    shop.stock_restore_unpaid = True
    shop.save()
    assert services.stock_unpaid_restore_sweep() == 1
    assert services.stock_unpaid_restore_sweep() == 0  # once
    assert (on_hand(store, "WATER"), on_hand(store, "CHIPS")) == (Decimal("0"), Decimal("0"))
    assert services.stock_restore_for_order(order=order, reason="voided") == 0
    restored = StockMovement.objects.filter(kind=MovementKind.UNPAID_RESTORE)
    assert restored.count() == 2 and {m.order_id for m in restored} == {order.pk}


def test_an_order_inside_its_retry_window_is_not_restored(shop):
    shop.stock_restore_unpaid = True
    shop.save()
    order = walk_out(("WATER", "2.0"))
    Order.objects.filter(pk=order.pk).update(status="ERROR", error_stage="PAYMENT")
    assert services.stock_unpaid_restore_sweep() == 0
    assert on_hand(shop.store, "WATER") == Decimal("-2")


def test_a_cart_event_from_the_feed_depletes_stock_once_for_a_cart_event_store(
    shop, client, django_capture_on_commit_callbacks, settings
):
    """Through the real endpoint: Amazon's CART event (EventBridge) takes the items out of stock
    for a store whose source is the CART event; the same event again, and the priced order of
    the trip, move nothing more."""
    settings.JWO_EVENT_FEED_KEY = "feed-key"
    shop.stock_source = "CART_EVENT"
    shop.save()
    trip = "test-ok-cart-feed-1"
    body = {
        "id": "cart-ev-1", "detail-type": "Cart Event", "source": "aws.justwalkout",
        "detail": {"storeId": "jwo-stock-1", "shoppingTripId": trip,
                   "cartItems": [{"merchantSku": "WATER", "quantityValue": 3},
                                 {"merchantSku": "CHIPS", "quantityValue": "NaN"}]},
    }  # fmt: skip
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/feeds/events", body, content_type="application/json",
                HTTP_X_JWO_EVENT_KEY="feed-key",
            )  # fmt: skip
        assert response.status_code in (200, 202)
    assert on_hand(shop.store, "WATER") == Decimal("-3")
    assert on_hand(shop.store, "CHIPS") == Decimal("0")  # an unreadable quantity moves nothing
    walk_out(("WATER", "3.0"), trip_id=trip)
    assert on_hand(shop.store, "WATER") == Decimal("-3")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_counts_of_a_new_item_at_once_set_it_not_add_it(shop):
    """A double-clicked Count on an item no one has counted (no level row yet): the second
    count waits for the first and finds on hand already what it counted."""
    water = entitlement(shop.store, "WATER")
    assert not StockLevel.objects.filter(store_item=water).exists()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def count():
        try:
            barrier.wait()
            services.stock_count(store_item=water, counted=Decimal("24"), actor=None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=count) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert on_hand(shop.store, "WATER") == Decimal("24")
    assert sum(m.quantity for m in StockMovement.objects.filter(store_item=water)) == 24


def test_stock_near_the_columns_limit_never_blocks_a_sale(shop):
    """What a person types is bounded (below 10^8), and so is what a change by hand leaves
    (10^9): a 400 that names the field, never an overflow that would make pricing fail."""
    water = entitlement(shop.store, "WATER")
    for huge in ("9999999999", "100000000", "-100000000"):
        with pytest.raises(services.StockInputError, match="too large"):
            services.stock_adjust(store_item=water, quantity=huge, reason="theft", actor=None)
    for _ in range(9):
        services.stock_adjust(store_item=water, quantity="-99999999", reason="x", actor=None)
    with pytest.raises(services.StockInputError, match="more than stock can hold"):
        for _ in range(2):
            services.stock_adjust(store_item=water, quantity="-99999999", reason="x", actor=None)
    assert on_hand(shop.store, "WATER") == Decimal("-999999990")  # the eleventh refused
    walk_out(("WATER", "3.0"))  # a sale still prices
    assert Order.objects.get().status == "PRICED"
    services.stock_count(store_item=water, counted=Decimal("12"), actor=None)  # and a count
    assert on_hand(shop.store, "WATER") == Decimal("12")


@pytest.mark.parametrize("digits", ["\u0663", "\uff11\uff12", "1\u0660"])
def test_only_ascii_digits_are_quantities(shop, digits):
    with pytest.raises(services.StockInputError, match="plain digits"):
        services.stock_count(
            store_item=entitlement(shop.store, "WATER"), counted=digits, actor=None
        )
