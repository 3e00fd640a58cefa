"""Every change of stock: JWO sales, what comes back (unpaid orders, refunds), counts,
adjustments, receipts and CSV imports. Each writes a ``StockMovement`` and moves the
``StockLevel`` in the same transaction, by an atomic increment (no lost update under concurrent
orders; rows are touched in store-item order, so two orders never deadlock on each other).

Entry points other apps call (one line each, see orders/services.py and payments/services.py):

- ``stock_deplete_for_order(order=)`` inside the pricing transaction, where the order becomes
  PRICED; it does nothing when the store's ``stock_source`` is Amazon's CART event.
- ``stock_deplete_for_cart_event(...)`` for the event feed, when ``stock_source`` is CART_EVENT.
- ``stock_restore_for_order(order=, reason=)`` when an order ends unpaid (``stock/tasks.py``
  sweeps orders whose retry window closed with nothing captured).
- ``stock_return_for_refund(refund=)`` when a refund of lines becomes REFUNDED.

A sale's movements carry the trip as ``ref`` (``trip_ref``), whichever source made them, so
(trip, item, JWO_SALE) is unique: re-pricing, a retry or the other source cannot deplete twice.
Negative stock is allowed (shoppers take what is on the shelf) and flagged, never blocking.
"""

import csv
import hashlib
import io
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alerts.choices import UNRESOLVED, AlertKind, AlertSeverity
from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve
from catalog.models import StoreItem
from jwo_console.exceptions import ApplicationError
from stores.choices import StockSource
from stores.models import JwoStoreMapping, Store
from stores.selectors import store_settings

from .choices import MovementKind
from .models import StockImport, StockLevel, StockMovement

logger = logging.getLogger(__name__)

QUANT = Decimal("0.0001")
MAX_QUANTITY = Decimal("9999999999")
IMPORT_CHUNK = 2000
IMPORT_MAX_ROWS = 200_000


class StockInputError(ApplicationError):
    """A quantity or a file the console cannot use; the message names what is wrong."""


# --- the trip as the key of a sale ----------------------------------------------------------------


def trip_ref(*, jwo_store_id: str, trip_id: str) -> str:
    """The ``ref`` of a trip's sale movements: the same for the priced order and for Amazon's
    CART event of that trip (Amazon's store id and trip id), short enough for an index."""
    digest = hashlib.sha1(f"{jwo_store_id}\x1f{trip_id}".encode(), usedforsecurity=False)
    return f"trip:{digest.hexdigest()}"


_SOURCE_CACHE: dict[int, tuple[str, float]] = {}
SOURCE_CACHE_SECONDS = 10.0


def stock_source_for(*, store_id: int) -> str:
    """The store's stock source, cached for a few seconds per process (depletion is on the
    pricing path). A stale answer right after a switch cannot deplete a trip twice: both
    sources write the trip's unique ref."""
    now = time.monotonic()
    cached = _SOURCE_CACHE.get(store_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    source = _stock_settings(store_id)[0]
    _SOURCE_CACHE[store_id] = (source, now + SOURCE_CACHE_SECONDS)
    return source


def stock_source_cache_clear(**_kwargs: Any) -> None:
    _SOURCE_CACHE.clear()


def _stock_settings(store_id: int) -> tuple[str, bool, bool]:
    mapping = store_settings(store=store_id)
    return mapping.stock_source, mapping.stock_restore_unpaid, mapping.stock_return_refunds


# --- the one way on hand changes ------------------------------------------------------------------


@dataclass(frozen=True)
class _Moved:
    store_item_id: int
    before: Decimal
    after: Decimal
    reorder_point: Decimal | None


def _q(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(QUANT)


def _fetchall(sql: str, params: list[Any] | dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _apply(
    *,
    store_id: int,
    deltas: dict[int, Decimal],
    now: datetime,
    counted: bool = False,
    movement: dict[str, Any] | None = None,
) -> dict[int, _Moved]:
    """Add each delta to its store item's on hand (creating the level at 0 first), in one
    statement, rows in store-item order. Must run inside a transaction.

    On PostgreSQL, with ``movement`` (kind, ref, order_id, reason, actor_id), the same
    statement also writes the movements (a data-modifying CTE): one round trip for both."""
    if not deltas:
        return {}
    table = StockLevel._meta.db_table
    ids = sorted(deltas)
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    counted_at = stamp if counted else None
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(ids))
    params: list[Any] = []
    for sid in ids:
        params += [sid, store_id, deltas[sid], counted_at, stamp, stamp, stamp]
    counted_sql = ", last_counted_at = EXCLUDED.last_counted_at" if counted else ""
    upsert = (
        f"INSERT INTO {table} (store_item_id, store_id, on_hand, last_counted_at, "  # noqa: S608
        f"last_movement_at, created_at, updated_at) VALUES {rows} "
        f"ON CONFLICT (store_item_id) DO UPDATE SET on_hand = {table}.on_hand + EXCLUDED.on_hand, "
        f"last_movement_at = EXCLUDED.last_movement_at, updated_at = EXCLUDED.updated_at"
        f"{counted_sql} RETURNING store_item_id, on_hand, reorder_point"
    )
    if movement is not None:
        moves = StockMovement._meta.db_table
        deltas_sql = ", ".join(["(%s::bigint, %s::numeric)"] * len(ids))
        sql = (
            f"WITH lv AS ({upsert}), mv AS ("  # noqa: S608
            f"INSERT INTO {moves} (store_item_id, store_id, kind, quantity, on_hand_after, ref, "
            "order_id, reason, actor_id, created_at) "
            "SELECT lv.store_item_id, %s::bigint, %s::varchar, d.q, lv.on_hand, %s::varchar, "
            "%s::bigint, %s::varchar, %s::bigint, %s::timestamptz "
            f"FROM lv JOIN (VALUES {deltas_sql}) AS d (sid, q) ON d.sid = lv.store_item_id) "
            "SELECT store_item_id, on_hand, reorder_point FROM lv"
        )
        params += [
            store_id,
            movement["kind"],
            movement["ref"],
            movement["order_id"],
            movement["reason"][:300],
            movement["actor_id"],
            stamp,
        ]
        for sid in ids:
            params += [sid, deltas[sid]]
    else:
        sql = upsert
    returned = _fetchall(sql, params)
    moved = {}
    for sid, on_hand, reorder in returned:
        after = _q(on_hand)
        moved[sid] = _Moved(
            store_item_id=sid,
            before=after - _q(deltas[sid]),
            after=after,
            reorder_point=None if reorder is None else _q(reorder),
        )
    return moved


def _record(
    *,
    store_id: int,
    moved: dict[int, _Moved],
    deltas: dict[int, Decimal],
    kind: str,
    now: datetime,
    ref: str = "",
    order_id: int | None = None,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
) -> None:
    StockMovement.objects.bulk_create(
        StockMovement(
            store_item_id=sid,
            store_id=store_id,
            kind=kind,
            quantity=deltas[sid],
            on_hand_after=m.after,
            ref=ref,
            order_id=order_id,
            reason=reason[:300],
            actor=actor,
            created_at=now,
        )
        for sid, m in moved.items()
    )


def _move(
    *,
    store_id: int,
    deltas: dict[int, Decimal],
    kind: str,
    ref: str = "",
    order_id: int | None = None,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    counted: bool = False,
    recheck: bool = False,
) -> dict[int, _Moved]:
    """Apply and record, in a savepoint: a movement that exists already (its unique ref) undoes
    the whole call and returns nothing moved, and never breaks the caller's transaction."""
    deltas = {sid: q for sid, q in deltas.items() if q != 0 or counted}
    if not deltas:
        return {}
    now = timezone.now()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                movement = {
                    "kind": str(kind),
                    "ref": ref,
                    "order_id": order_id,
                    "reason": reason,
                    "actor_id": getattr(actor, "pk", None),
                }
                moved = _apply(
                    store_id=store_id, deltas=deltas, now=now, counted=counted, movement=movement
                )
            else:
                moved = _apply(store_id=store_id, deltas=deltas, now=now, counted=counted)
                _record(
                    store_id=store_id,
                    moved=moved,
                    deltas=deltas,
                    kind=kind,
                    now=now,
                    ref=ref,
                    order_id=order_id,
                    reason=reason,
                    actor=actor,
                )
    except IntegrityError:
        logger.warning("stock movement exists already", extra={"ref": ref, "kind": kind})
        return {}
    _low_stock_check(store_id=store_id, moved=moved.values(), recheck=recheck)
    return moved


# --- low stock ---------------------------------------------------------------------------------


def _is_low(on_hand: Decimal, reorder_point: Decimal | None) -> bool:
    """Below the reorder point the store set. An item without one is not tracked for alerts
    (a store that never counted would get one for every sale); its negative stock is still
    flagged on the stock page."""
    return reorder_point is not None and on_hand < reorder_point


def low_stock_key(*, store_id: int, item_id: int) -> str:
    return f"store:{store_id}:item:{item_id}"


def _low_stock_check(*, store_id: int, moved: Iterable[_Moved], recheck: bool) -> None:
    """Raise LOW_STOCK when on hand falls below the reorder point (below zero without one), and
    again when it turns negative (critical); resolve when it is back at or above it. Sales look
    at the crossing only (cheap); counts and reorder-point changes (``recheck``) at the level."""
    raise_ids, resolve_ids = [], []
    for m in moved:
        low_before, low_after = (
            _is_low(m.before, m.reorder_point),
            _is_low(m.after, m.reorder_point),
        )
        went_negative = m.after < 0 <= m.before
        if low_after and (recheck or not low_before or went_negative):
            raise_ids.append(m)
        elif not low_after and (recheck or low_before):
            resolve_ids.append(m)
    if not raise_ids and not resolve_ids:
        return
    entitlements = {
        si.pk: si
        for si in StoreItem.objects.select_related("item", "store").filter(
            pk__in=[m.store_item_id for m in raise_ids + resolve_ids]
        )
    }
    key_of = {
        m.store_item_id: low_stock_key(
            store_id=store_id, item_id=entitlements[m.store_item_id].item_id
        )
        for m in raise_ids + resolve_ids
    }
    if recheck:  # a count or an import of many items: touch only alerts that change
        open_keys = set(
            Alert.objects.filter(
                kind=AlertKind.LOW_STOCK, key__in=list(key_of.values()), status__in=UNRESOLVED
            ).values_list("key", flat=True)
        )
        resolve_ids = [m for m in resolve_ids if key_of[m.store_item_id] in open_keys]
        raise_ids = [
            m
            for m in raise_ids
            if key_of[m.store_item_id] not in open_keys or m.after < 0 <= m.before
        ]
    for m in resolve_ids:
        si = entitlements[m.store_item_id]
        alert_resolve(
            kind=AlertKind.LOW_STOCK, key=low_stock_key(store_id=store_id, item_id=si.item_id)
        )
    for m in raise_ids:
        si = entitlements[m.store_item_id]
        point = "zero" if m.reorder_point is None else f"the reorder point {m.reorder_point:f}"
        alert_raise(
            kind=AlertKind.LOW_STOCK,
            key=low_stock_key(store_id=store_id, item_id=si.item_id),
            title=f"{si.item.name} ({si.item.sku}): {m.after.normalize():f} on hand"[:200],
            detail=f"On hand {m.after.normalize():f} at {si.store.name} is below {point}."
            + (" Stock is negative: count the shelf." if m.after < 0 else ""),
            store=si.store,
            severity=AlertSeverity.CRITICAL if m.after < 0 else AlertSeverity.WARNING,
        )


# --- JWO sales and what comes back -----------------------------------------------------------


def _entitlements_by_sku(*, store: Store, skus: Iterable[str]) -> dict[str, int]:
    """SKU → the store's entitlement id (by the merchant's unique SKU index)."""
    return dict(
        StoreItem.objects.filter(
            store_id=store.pk, item__merchant_id=store.merchant_id, item__sku__in=set(skus)
        )
        .order_by()
        .values_list("item__sku", "pk")
    )


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


# PostgreSQL: the whole depletion of an order in one statement:
# the order's lines joined to the store's entitlements, less what the trip took already; the
# levels moved (rows in store-item order); the movements written with on hand after.
_ORDER_DEPLETE_PG = """
    WITH sale AS (
        SELECT si.id AS sid, -SUM(ol.quantity) AS q
        FROM orders_orderline ol
        JOIN catalog_item i ON i.merchant_id = %(merchant)s AND i.sku = ol.sku
        JOIN catalog_storeitem si ON si.item_id = i.id AND si.store_id = %(store)s
        WHERE ol.order_id = %(order)s AND NOT EXISTS (
            SELECT 1 FROM stock_stockmovement m
            WHERE m.ref = %(ref)s AND m.kind = %(kind)s AND m.store_item_id = si.id)
        GROUP BY si.id
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
    SELECT lv.store_item_id, lv.on_hand, lv.reorder_point, sale.q
    FROM lv JOIN sale ON sale.sid = lv.store_item_id
"""

_ORDER_SALES_SQL = """
    SELECT si.id, SUM(ol.quantity), EXISTS (
        SELECT 1 FROM stock_stockmovement m
        WHERE m.ref = %s AND m.kind = %s AND m.store_item_id = si.id)
    FROM orders_orderline ol
    JOIN catalog_item i ON i.merchant_id = %s AND i.sku = ol.sku
    JOIN catalog_storeitem si ON si.item_id = i.id AND si.store_id = %s
    WHERE ol.order_id = %s
    GROUP BY si.id
"""


def stock_deplete_for_order(*, order) -> int:
    """Take a priced order's items out of its store's stock, once. Called inside the pricing
    transaction (orders/services.py ``order_price``). Returns how many items moved (0 when the
    store's stock source is the CART event, or the trip was depleted already).

    Pricing waits for it, so on PostgreSQL it is one statement in a savepoint
    (``_ORDER_DEPLETE_PG``); elsewhere a query and ``_move``. The store's stock source is
    cached briefly (``stock_source_for``)."""
    if stock_source_for(store_id=order.store_id) != StockSource.ORDER:
        return 0
    trip = order.trip
    ref = trip_ref(jwo_store_id=trip.jwo_store_id, trip_id=trip.trip_id)
    if connection.vendor == "postgresql":
        params = {
            "merchant": order.store.merchant_id,
            "store": order.store_id,
            "order": order.pk,
            "ref": ref,
            "kind": MovementKind.JWO_SALE.value,
            "now": timezone.now(),
        }
        try:
            with transaction.atomic():
                rows = _fetchall(_ORDER_DEPLETE_PG, params)
        except IntegrityError:  # the other source took the trip at this very moment
            logger.warning("stock movement exists already", extra={"order_id": order.pk})
            return 0
        moved = [
            _Moved(
                store_item_id=sid,
                before=_q(on_hand) - _q(q),
                after=_q(on_hand),
                reorder_point=None if reorder is None else _q(reorder),
            )
            for sid, on_hand, reorder, q in rows
        ]
        _low_stock_check(store_id=order.store_id, moved=moved, recheck=False)
        return len(moved)
    rows = _fetchall(
        _ORDER_SALES_SQL,
        [ref, MovementKind.JWO_SALE.value, order.store.merchant_id, order.store_id, order.pk],
    )
    deltas = {sid: -_q(quantity) for sid, quantity, done in rows if not done}
    moved = _move(
        store_id=order.store_id,
        deltas=deltas,
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


# --- counts, adjustments, receipts, reorder points ----------------------------------------------


def parse_quantity(raw: Any, *, field: str = "quantity", allow_negative: bool = True) -> Decimal:
    """A quantity typed by a person or read from a CSV: a finite decimal, at most 4 places
    (rounded half up), at most 10 digits before the point."""
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    if not text:
        raise StockInputError(f"{field}: a number is needed.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StockInputError(f"{field}: {text[:30]!r} is not a number.") from None
    if not value.is_finite():
        raise StockInputError(f"{field}: {text[:30]!r} is not a number.")
    if abs(value) > MAX_QUANTITY:
        raise StockInputError(f"{field}: {text[:30]} is too large.")
    if value < 0 and not allow_negative:
        raise StockInputError(f"{field}: cannot be negative.")
    return value.quantize(QUANT)


def _locked_on_hand(store_item_ids: list[int]) -> dict[int, Decimal]:
    return dict(
        StockLevel.objects.select_for_update()
        .filter(store_item_id__in=store_item_ids)
        .order_by("store_item_id")
        .values_list("store_item_id", "on_hand")
    )


def stock_count(
    *, store_item: StoreItem, counted: Decimal, actor: AbstractBaseUser | None, reason: str = ""
) -> StockLevel:
    """What is on the shelf now: on hand becomes ``counted``; the movement holds the
    difference. The level is marked counted."""
    counted = parse_quantity(counted, field="counted", allow_negative=False)
    with transaction.atomic():
        current = _locked_on_hand([store_item.pk]).get(store_item.pk, Decimal(0))
        _move(
            store_id=store_item.store_id,
            deltas={store_item.pk: counted - current},
            kind=MovementKind.COUNT,
            reason=reason or "counted",
            actor=actor,
            counted=True,
            recheck=True,
        )
    return StockLevel.objects.get(store_item=store_item)


def stock_adjust(
    *,
    store_item: StoreItem,
    quantity: Decimal,
    reason: str,
    actor: AbstractBaseUser | None,
    kind: str = MovementKind.ADJUSTMENT,
) -> StockLevel:
    """Add (or, negative, take) ``quantity``: an adjustment needs a reason (breakage, theft,
    found); a receipt of goods is positive."""
    if kind not in (MovementKind.ADJUSTMENT, MovementKind.RECEIPT):
        raise ValueError(f"not an adjustment kind: {kind}")
    quantity = parse_quantity(
        quantity, field="quantity", allow_negative=kind == MovementKind.ADJUSTMENT
    )
    if quantity == 0:
        raise StockInputError("quantity: enter a quantity other than zero.")
    reason = (reason or "").strip()
    if kind == MovementKind.ADJUSTMENT and not reason:
        raise StockInputError("reason: say why stock is adjusted (breakage, theft, found…).")
    with transaction.atomic():
        _move(
            store_id=store_item.store_id,
            deltas={store_item.pk: quantity},
            kind=kind,
            reason=reason or "goods received",
            actor=actor,
            recheck=True,
        )
    return StockLevel.objects.get(store_item=store_item)


def stock_reorder_point_set(
    *, store_item: StoreItem, reorder_point: Decimal | None, actor: AbstractBaseUser | None
) -> StockLevel:
    """Set (or clear, with None) the reorder point, and look at the alert again."""
    if reorder_point is not None:
        reorder_point = parse_quantity(reorder_point, field="reorder point", allow_negative=False)
    with transaction.atomic():
        level, _ = StockLevel.objects.select_for_update().get_or_create(
            store_item=store_item, defaults={"store_id": store_item.store_id}
        )
        level.reorder_point = reorder_point
        level.save(update_fields=["reorder_point", "updated_at"])
        _low_stock_check(
            store_id=store_item.store_id,
            moved=[_Moved(store_item.pk, level.on_hand, level.on_hand, reorder_point)],
            recheck=True,
        )
    logger.info(
        "reorder point set",
        extra={"store_item_id": store_item.pk, "actor": getattr(actor, "pk", None)},
    )
    return level


# --- CSV: counts in, levels out -------------------------------------------------------------


IMPORT_COLUMNS = ["store", "sku", "on_hand", "reorder_point"]
EXPORT_COLUMNS = ["store", "sku", "name", "on_hand", "reorder_point", "last_counted_at"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading
    apostrophe (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def stock_export_rows(*, store: Store) -> Iterator[str]:
    """The store's stock as CSV text, a chunk at a time; the import reads it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    rows = (
        StoreItem.objects.filter(store=store)
        .order_by("item__sku")
        .values_list(
            "item__sku",
            "item__name",
            "stock__on_hand",
            "stock__reorder_point",
            "stock__last_counted_at",
        )
    )
    for n, (sku, name, on_hand, reorder, counted_at) in enumerate(rows.iterator(chunk_size=2000)):
        writer.writerow(
            [
                csv_safe(store.code),
                csv_safe(sku),
                csv_safe(name),
                csv_safe(_number(on_hand if on_hand is not None else Decimal(0))),
                csv_safe(_number(reorder)),
                counted_at.isoformat() if counted_at else "",
            ]
        )
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _strip_apostrophe(text: str) -> str:
    """Our own export neutralises cells with a leading apostrophe; read them back."""
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA_STARTS else text


def stock_import_counts(
    *, store: Store, file: IO[bytes], file_name: str, actor: AbstractBaseUser | None
) -> StockImport:
    """Counts from a CSV (``sku``, ``on_hand`` and/or ``reorder_point``; a ``store`` column,
    if present, must be this store's code). A row with a problem is reported with its number
    and the others are imported; a SKU given twice counts once, by its last row. Each chunk of
    rows is one transaction."""
    try:
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise StockInputError(f"The file is not a UTF-8 CSV: {exc}") from None
    if "sku" not in header or not ({"on_hand", "reorder_point"} & set(header)):
        raise StockInputError(
            "The first row must name the columns: sku, on_hand (and/or reorder_point); "
            "store is optional."
        )
    reader.fieldnames = header
    job = StockImport.objects.create(store=store, file_name=file_name[:255], actor=actor)
    errors: list[dict] = []
    wanted: dict[str, tuple[int, Decimal | None, Decimal | None, bool]] = {}
    total = 0
    try:
        for number, row in enumerate(reader, start=2):
            total += 1
            if total > IMPORT_MAX_ROWS:
                errors.append({"row": number, "sku": "", "problems": ["too many rows"]})
                break
            sku = _strip_apostrophe((row.get("sku") or "").strip())
            problems = []
            row_store = _strip_apostrophe((row.get("store") or "").strip())
            if row_store and row_store != store.code:
                problems.append(f"row is for store {row_store[:50]}, not {store.code}")
            if not sku:
                problems.append("sku: missing")
            on_hand = reorder = None
            raw_on_hand = _strip_apostrophe((row.get("on_hand") or "").strip())
            raw_reorder_present = "reorder_point" in header
            raw_reorder = _strip_apostrophe((row.get("reorder_point") or "").strip())
            try:
                if raw_on_hand:
                    on_hand = parse_quantity(raw_on_hand, field="on_hand", allow_negative=False)
                if raw_reorder:
                    reorder = parse_quantity(
                        raw_reorder, field="reorder_point", allow_negative=False
                    )
            except StockInputError as exc:
                problems.append(exc.message)
            if not problems and on_hand is None and not raw_reorder_present:
                problems.append("on_hand: a number is needed")
            if problems:
                errors.append({"row": number, "sku": sku[:100], "problems": problems})
                continue
            wanted[sku] = (number, on_hand, reorder, raw_reorder_present)
    except (UnicodeDecodeError, csv.Error) as exc:
        errors.append({"row": total + 1, "sku": "", "problems": [f"unreadable: {exc}"]})
    counted = 0
    skus = list(wanted)
    for start in range(0, len(skus), IMPORT_CHUNK):
        chunk = skus[start : start + IMPORT_CHUNK]
        counted += _import_chunk(
            store=store, job=job, rows={s: wanted[s] for s in chunk}, errors=errors, actor=actor
        )
    errors.sort(key=lambda e: e["row"])
    job.rows_total = total
    job.rows_counted = counted
    job.rows_failed = len(errors)
    job.errors = errors[:1000]
    job.save(update_fields=["rows_total", "rows_counted", "rows_failed", "errors"])
    logger.info(
        "stock import done",
        extra={
            "store_id": store.pk,
            "import_id": job.pk,
            "counted": counted,
            "failed": len(errors),
        },
    )
    return job


def _import_chunk(
    *,
    store: Store,
    job: StockImport,
    rows: dict[str, tuple[int, Decimal | None, Decimal | None, bool]],
    errors: list[dict],
    actor: AbstractBaseUser | None,
) -> int:
    by_sku = _entitlements_by_sku(store=store, skus=rows)
    for sku, (number, *_rest) in rows.items():
        if sku not in by_sku:
            errors.append(
                {
                    "row": number,
                    "sku": sku[:100],
                    "problems": [f"{sku[:50]} is not sold in this store"],
                }
            )
    known = {sku: row for sku, row in rows.items() if sku in by_sku}
    if not known:
        return 0
    with transaction.atomic():
        ids = [by_sku[s] for s in known]
        # Reorder points first, so the alert check below sees them.
        existing = set(
            StockLevel.objects.filter(store_item_id__in=ids).values_list("store_item_id", flat=True)
        )
        StockLevel.objects.bulk_create(
            [StockLevel(store_item_id=i, store_id=store.pk) for i in ids if i not in existing],
            ignore_conflicts=True,
        )
        current = _locked_on_hand(ids)
        levels = {lv.store_item_id: lv for lv in StockLevel.objects.filter(store_item_id__in=ids)}
        changed_points = []
        for sku, (_n, _on_hand, reorder, has_reorder) in known.items():
            level = levels[by_sku[sku]]
            if has_reorder and level.reorder_point != reorder:
                level.reorder_point = reorder
                changed_points.append(level)
        StockLevel.objects.bulk_update(changed_points, ["reorder_point"])
        deltas = {
            by_sku[sku]: on_hand - current.get(by_sku[sku], Decimal(0))
            for sku, (_n, on_hand, _r, _h) in known.items()
            if on_hand is not None
        }
        _move(
            store_id=store.pk,
            deltas=deltas,
            kind=MovementKind.IMPORT,
            ref=f"import:{job.pk}",
            reason=f"CSV {job.file_name}"[:300],
            actor=actor,
            counted=True,
            recheck=True,
        )
        only_points = [levels[by_sku[s]] for s in known if known[s][1] is None]
        if only_points:
            _low_stock_check(
                store_id=store.pk,
                moved=[
                    _Moved(lv.store_item_id, lv.on_hand, lv.on_hand, lv.reorder_point)
                    for lv in only_points
                ],
                recheck=True,
            )
    return len(known)


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
