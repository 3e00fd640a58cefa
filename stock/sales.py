"""JWO sales leaving stock and what comes back: the priced order or Amazon's CART event
(one source per store), orders that ended unpaid, refunded lines. Moves go through
stock/movements.py."""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from catalog.models import StoreItem
from stores.choices import StockSource
from stores.models import JwoStoreMapping, Store

from .choices import MovementKind
from .models import StockMovement
from .movements import (
    _entitlements_by_sku,
    _fetchall_prepared,
    _low_stock_check,
    _move,
    _Moved,
    _q,
    _stock_settings,
    stock_source_for,
    trip_ref,
)

logger = logging.getLogger(__name__)


# --- JWO sales and what comes back -----------------------------------------------------------


def _deplete(
    *,
    store_id: int,
    merchant_id: int,
    ref: str,
    lines: Iterable[tuple[str, Decimal]],
    order_id: int | None,
) -> int:
    quantities: dict[str, Decimal] = {}
    for sku, quantity in lines:
        quantities[sku] = quantities.get(sku, Decimal(0)) + Decimal(quantity)
    if not quantities:
        return 0
    # One query: the store's entitlements of these SKUs, and whether the trip took each already.
    sold_already = StockMovement.objects.filter(
        ref=ref, kind=MovementKind.JWO_SALE, store_item_id=OuterRef("pk")
    )
    entitlements = (
        StoreItem.objects.filter(
            store_id=store_id, item__merchant_id=merchant_id, item__sku__in=list(quantities)
        )
        .annotate(done=Exists(sold_already))
        .order_by()
        .values_list("item__sku", "pk", "done")
    )
    # An unknown SKU never reaches a priced order; a CART event's is skipped.
    deltas = {sid: -_q(quantities[sku]) for sku, sid, done in entitlements if not done}
    moved = _move(
        store_id=store_id, deltas=deltas, kind=MovementKind.JWO_SALE, ref=ref, order_id=order_id
    )
    return len(moved)


# PostgreSQL: the whole depletion of an order in one statement: the sold entitlements and
# quantities (two arrays, so one prepared plan serves every order) less what the trip took
# already (a probe of the unique (ref, store item, kind) index, which is partial: the plan is
# generic, jwo_console/settings/database.py, so ``ref <> ''`` is spelled out for the planner to
# use it rather than read the item's whole history); the levels moved, rows in
# store-item order; the movements written with on hand after. The level moves before its
# movement is written: the movement's on_hand_after is the locked row's new value, which is
# what keeps concurrent orders' ledger steps distinct (tests/stock/test_depletion.py).
_ORDER_DEPLETE_PG = """
    WITH sale AS (
        SELECT s.sid, s.q
        FROM unnest(%(sids)s::bigint[], %(qs)s::numeric[]) AS s (sid, q)
        WHERE NOT EXISTS (
            SELECT 1 FROM stock_stockmovement m  -- ref <> '': the partial unique index
            WHERE m.ref <> '' AND m.ref = %(ref)s AND m.kind = %(kind)s
                AND m.store_item_id = s.sid)
    ), lv AS (
        INSERT INTO stock_stocklevel (store_item_id, store_id, on_hand, last_counted_at,
            last_movement_at, created_at, updated_at)
        SELECT sid, %(store)s, q, NULL, %(now)s, %(now)s, %(now)s FROM sale ORDER BY sid
        ON CONFLICT (store_item_id) DO UPDATE
            SET on_hand = stock_stocklevel.on_hand + EXCLUDED.on_hand,
                last_movement_at = EXCLUDED.last_movement_at, updated_at = EXCLUDED.updated_at
        RETURNING store_item_id, on_hand, reorder_point
    ), mv AS (
        INSERT INTO stock_stockmovement (store_item_id, store_id, kind, quantity, on_hand_after,
            ref, order_id, reason, actor_id, created_at)
        SELECT lv.store_item_id, %(store)s, %(kind)s, sale.q, lv.on_hand, %(ref)s, %(order)s,
            '', NULL, %(now)s
        FROM lv JOIN sale ON sale.sid = lv.store_item_id
    )
    SELECT store_item_id, on_hand, reorder_point FROM lv
"""


def _order_sold(order) -> dict[int, Decimal]:
    """What the order's written lines take out of stock: entitlement id -> quantity (for a
    caller that does not have the priced lines in hand)."""
    entitlements = dict(
        StoreItem.objects.filter(
            store_id=order.store_id,
            item__merchant_id=order.store.merchant_id,
            item__sku__in=order.lines.values("sku"),
        )
        .order_by()
        .values_list("item__sku", "pk")
    )
    sold: dict[int, Decimal] = {}
    for sku, quantity in order.lines.values_list("sku", "quantity"):
        if sku in entitlements:
            sid = entitlements[sku]
            sold[sid] = sold.get(sid, Decimal(0)) + quantity
    return sold


def stock_deplete_for_order(*, order, sold: Mapping[int, Decimal] | None = None) -> int:
    """Take a priced order's items out of its store's stock, once. Called inside the pricing
    transaction (orders/services.py ``order_price``), which hands over ``sold``: the store's
    entitlement (StoreItem id) of each priced item and its quantity, as pricing found them;
    without it they are read from the order's lines. Returns how many items moved (0 when the
    store's stock source is the CART event, or the trip was depleted already).

    Pricing waits for it, so on PostgreSQL it is one prepared statement and no savepoint
    (``_ORDER_DEPLETE_PG``); elsewhere a query and ``_move``. The store's stock source is
    cached briefly (``stock_source_for``)."""
    if stock_source_for(store_id=order.store_id) != StockSource.ORDER:
        return 0
    if sold is None:
        sold = _order_sold(order)
    deltas = {sid: -_q(quantity) for sid, quantity in sold.items() if quantity}
    if not deltas:
        return 0
    trip = order.trip
    ref = trip_ref(jwo_store_id=trip.jwo_store_id, trip_id=trip.trip_id)
    if connection.vendor == "postgresql":
        from psycopg.types.numeric import Int8

        sids = sorted(deltas)
        params = {
            "sids": [Int8(sid) for sid in sids],  # one parameter type, so one prepared plan
            "qs": [deltas[sid] for sid in sids],
            "store": order.store_id,
            "order": order.pk,
            "ref": ref,
            "kind": MovementKind.JWO_SALE.value,
            "now": timezone.now(),
        }
        # No savepoint (it costs two round trips): if the CART event took this trip in the
        # same instant, the unique ref fails the pricing transaction, the order stays due for
        # pricing, and the sweep prices it again, finding the trip depleted.
        rows = _fetchall_prepared(_ORDER_DEPLETE_PG, params)
        moved = [
            _Moved(
                store_item_id=sid,
                before=_q(on_hand) - deltas[sid],
                after=_q(on_hand),
                reorder_point=None if reorder is None else _q(reorder),
            )
            for sid, on_hand, reorder in rows
        ]
        _low_stock_check(store_id=order.store_id, moved=moved, recheck=False)
        return len(moved)
    done = set(
        StockMovement.objects.filter(
            ref=ref, kind=MovementKind.JWO_SALE, store_item_id__in=deltas
        ).values_list("store_item_id", flat=True)
    )
    moved = _move(
        store_id=order.store_id,
        deltas={sid: q for sid, q in deltas.items() if sid not in done},
        kind=MovementKind.JWO_SALE,
        ref=ref,
        order_id=order.pk,
    )
    return len(moved)


def stock_deplete_for_cart_event(
    *, store: Store, jwo_store_id: str, trip_id: str, items: Iterable[tuple[str, Decimal]]
) -> int:
    """For the event feed: take a CART event's items (SKU, quantity) out of stock, once per
    trip, when the store's stock source is CART_EVENT (otherwise nothing: the priced order
    does it). The trip's priced order later finds the trip depleted and moves nothing."""
    if _stock_settings(store.pk)[0] != StockSource.CART_EVENT:
        return 0
    with transaction.atomic():
        return _deplete(
            store_id=store.pk,
            merchant_id=store.merchant_id,
            ref=trip_ref(jwo_store_id=jwo_store_id, trip_id=trip_id),
            lines=items,
            order_id=None,
        )


def stock_restore_for_order(*, order, reason: str) -> int:
    """Put back what a trip took out of stock, once, if the store says so
    (``stock_restore_unpaid``): for an order voided or never charged. Whatever the source
    that depleted it. Returns how many items moved."""
    _, restore, _ = _stock_settings(order.store_id)
    if not restore:
        return 0
    trip = order.trip
    ref = trip_ref(jwo_store_id=trip.jwo_store_id, trip_id=trip.trip_id)
    with transaction.atomic():
        sold = dict(
            StockMovement.objects.filter(ref=ref, kind=MovementKind.JWO_SALE).values_list(
                "store_item_id", "quantity"
            )
        )
        done = set(
            StockMovement.objects.filter(ref=ref, kind=MovementKind.UNPAID_RESTORE).values_list(
                "store_item_id", flat=True
            )
        )
        deltas = {sid: -q for sid, q in sold.items() if sid not in done}
        moved = _move(
            store_id=order.store_id,
            deltas=deltas,
            kind=MovementKind.UNPAID_RESTORE,
            ref=ref,
            order_id=order.pk,
            reason=reason,
        )
    if moved:
        logger.info("stock restored", extra={"order_id": order.pk, "items": len(moved)})
    return len(moved)


def stock_return_for_refund(*, refund) -> int:
    """Put a REFUNDED refund's lines back into stock, once, if the store says so
    (``stock_return_refunds``). Only items the trip took out of stock come back, at most the
    quantity sold. An amount-only refund (no lines) returns nothing."""
    order = refund.order
    _, _, give_back = _stock_settings(order.store_id)
    if not give_back or not refund.lines:
        return 0
    lines = {line.line_no: line for line in order.lines.all()}
    quantities: dict[str, Decimal] = {}
    for entry in refund.lines:
        try:
            line = lines.get(int(entry["line_no"]))
        except (KeyError, TypeError, ValueError):
            continue
        if line is None:
            continue
        quantity = entry.get("quantity")
        quantity = line.quantity if quantity in (None, "") else _q(quantity)
        quantities[line.sku] = quantities.get(line.sku, Decimal(0)) + min(quantity, line.quantity)
    trip = order.trip
    ref = trip_ref(jwo_store_id=trip.jwo_store_id, trip_id=trip.trip_id)
    with transaction.atomic():
        by_sku = _entitlements_by_sku(store=order.store, skus=quantities)
        sold = dict(
            StockMovement.objects.filter(ref=ref, kind=MovementKind.JWO_SALE).values_list(
                "store_item_id", "quantity"
            )
        )
        returned: dict[int, Decimal] = {}
        for sid, quantity in StockMovement.objects.filter(
            order_id=order.pk, kind=MovementKind.REFUND_RETURN
        ).values_list("store_item_id", "quantity"):
            returned[sid] = returned.get(sid, Decimal(0)) + quantity
        deltas = {
            by_sku[sku]: min(
                _q(q), -sold[by_sku[sku]] - returned.get(by_sku[sku], Decimal(0))
            )  # never more back than the trip took, over all its refunds
            for sku, q in quantities.items()
            if sku in by_sku and by_sku[sku] in sold
        }
        deltas = {sid: q for sid, q in deltas.items() if q > 0}
        moved = _move(
            store_id=order.store_id,
            deltas=deltas,
            kind=MovementKind.REFUND_RETURN,
            ref=f"refund:{refund.pk}",
            order_id=order.pk,
            reason=f"refund {refund.refund_request_id}",
        )
    return len(moved)


# --- orders that ended unpaid -------------------------------------------------------------------


def stock_unpaid_restore_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Orders whose retry window closed with nothing captured (still in ERROR) are never
    charged: put their stock back where the store says so. Looks at the week after the window
    closed; each order is restored once (the movement's unique ref)."""
    from datetime import timedelta

    from django.conf import settings

    from orders.choices import OrderStatus
    from orders.models import Order

    now = now or timezone.now()
    closed = now - timedelta(hours=settings.JWO_RETRY_WINDOW_HOURS)
    stores = list(
        JwoStoreMapping.objects.filter(stock_restore_unpaid=True).values_list("store_id", flat=True)
    )
    if not stores:
        return 0
    candidates = list(
        Order.objects.filter(
            store_id__in=stores,
            status=OrderStatus.ERROR,
            captured_amount=0,
            created_at__lte=closed,
            created_at__gt=closed - timedelta(days=7),
        )
        .select_related("trip")
        .order_by("created_at")[: limit * 4]
    )
    refs = {
        trip_ref(jwo_store_id=o.trip.jwo_store_id, trip_id=o.trip.trip_id): o for o in candidates
    }
    sold = set(
        StockMovement.objects.filter(ref__in=refs, kind=MovementKind.JWO_SALE).values_list(
            "ref", flat=True
        )
    )
    restored = set(
        StockMovement.objects.filter(ref__in=refs, kind=MovementKind.UNPAID_RESTORE).values_list(
            "ref", flat=True
        )
    )
    done = 0
    for ref in list(sold - restored)[:limit]:
        if stock_restore_for_order(order=refs[ref], reason="retry window closed, never charged"):
            done += 1
    return done
