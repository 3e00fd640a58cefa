"""The one way stock on hand changes (a ``StockMovement`` and an atomic increment of the
``StockLevel`` in one transaction), low-stock alerts, counts, adjustments and reorder points;
the trip as the key of a sale. stock/services.py is the public surface."""

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from alerts.choices import UNRESOLVED, AlertKind, AlertSeverity
from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve
from catalog.models import StoreItem
from jwo_console.exceptions import ApplicationError
from jwo_console.forms import parse_money
from stores.models import Store
from stores.selectors import store_settings

from .choices import MovementKind
from .models import StockLevel, StockMovement

logger = logging.getLogger(__name__)

QUANT = Decimal("0.0001")
# What a person may type or import (a count, a delivery, an adjustment), and what on hand a
# change by hand may leave. The columns hold 10 digits before the point (models.QUANTITY): with
# inputs below 10^8 and manual results below 10^9, a sale (never refused: shoppers take what
# is on the shelf) would need 9 * 10^9 units more to overflow them and block pricing.
MAX_QUANTITY = Decimal("99999999.9999")
MAX_ON_HAND = Decimal("999999999")
THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")  # 1,000, 12,500.5; not 1,5
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


def _fetchall_prepared(sql: str, params: dict[str, Any]) -> list[tuple]:
    """PostgreSQL: run ``sql`` as a server-side prepared statement, planned once per database
    connection (psycopg keeps the cache). Django's cursors bind parameters client-side and
    cannot prepare; planning the depletion statement cost more than running it. The
    statement joins the current transaction; errors come out as Django's."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns preparing off; Django's own cursors
        raw.prepare_threshold = 1_000_000  # never prepare, so only ``prepare=True`` does
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
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
    _low_stock_check(store_id=store_id, moved=moved.values(), recheck=recheck, actor=actor)
    return moved


# --- low stock ---------------------------------------------------------------------------------


def _is_low(on_hand: Decimal, reorder_point: Decimal | None) -> bool:
    """Below the reorder point the store set. An item without one is not tracked for alerts
    (a store that never counted would get one for every sale); its negative stock is still
    flagged on the stock page."""
    return reorder_point is not None and on_hand < reorder_point


def low_stock_key(*, store_id: int, item_id: int) -> str:
    return f"store:{store_id}:item:{item_id}"


def _low_stock_check(
    *,
    store_id: int,
    moved: Iterable[_Moved],
    recheck: bool,
    actor: AbstractBaseUser | None = None,
) -> None:
    """Raise LOW_STOCK when on hand falls below the reorder point, and again when it turns
    negative (critical); resolve when it is back at or above it, in the name of ``actor`` (who
    counted or delivered). Sales look at the crossing only (cheap: a sale of an item already
    low writes nothing to the alert), so the alert says what was on hand when it was raised and
    links the item's page for the figure now; counts and reorder-point changes (``recheck``)
    look at the level."""
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
            kind=AlertKind.LOW_STOCK,
            key=low_stock_key(store_id=store_id, item_id=si.item_id),
            actor=actor,
            detail=f"On hand {quantity_text(m.after)}"
            + (
                f", at or above the reorder point {quantity_text(m.reorder_point)}."
                if m.reorder_point is not None
                else ": the item has no reorder point any more."
            ),
        )
    for m in raise_ids:
        si = entitlements[m.store_item_id]
        negative = m.after < 0
        point = quantity_text(m.reorder_point)
        alert_raise(
            kind=AlertKind.LOW_STOCK,
            key=low_stock_key(store_id=store_id, item_id=si.item_id),
            title=(
                f"{si.item.name} ({si.item.sku}) "
                + ("is negative" if negative else f"is below its reorder point {point}")
            )[:200],
            detail=f"On hand {quantity_text(m.after)} at {si.store.name} when this was raised "
            f"(reorder point {point})."
            + (" Stock is negative: count the shelf." if negative else "")
            + f"\nThe item's stock, to count it: {reverse('stock:item', args=[si.pk])}",
            store=si.store,
            severity=AlertSeverity.CRITICAL if negative else AlertSeverity.WARNING,
        )


def reorder_point_recorded(
    *,
    levels: Iterable[tuple[StockLevel, Decimal | None]],
    actor: AbstractBaseUser | None,
    reason: str,
) -> None:
    """The ledger's row for each reorder point changed (quantity 0, on hand as it is): who set
    it, when, from what to what. ``levels`` holds each level, already changed, with the point it
    had before."""
    now = timezone.now()
    StockMovement.objects.bulk_create(
        StockMovement(
            store_item_id=level.store_item_id,
            store_id=level.store_id,
            kind=MovementKind.REORDER_POINT,
            quantity=Decimal(0),
            on_hand_after=level.on_hand,
            reason=(
                f"Reorder point {quantity_text(was) or 'none'} → "
                f"{quantity_text(level.reorder_point) or 'none'}"
                + (f" ({reason})" if reason else "")
            )[:300],
            actor_id=getattr(actor, "pk", None),
            created_at=now,
        )
        for level, was in levels
    )


def _entitlements_by_sku(*, store: Store, skus: Iterable[str]) -> dict[str, int]:
    """SKU → the store's entitlement id (by the merchant's unique SKU index)."""
    return dict(
        StoreItem.objects.filter(
            store_id=store.pk, item__merchant_id=store.merchant_id, item__sku__in=set(skus)
        )
        .order_by()
        .values_list("item__sku", "pk")
    )


# --- counts, adjustments, receipts, reorder points ----------------------------------------------


def parse_quantity(raw: Any, *, field: str = "quantity", allow_negative: bool = True) -> Decimal:
    """A quantity typed by a person or read from a CSV: plain digits with an optional sign and
    point, as the money inputs read them (jwo_console/forms.py ``parse_money``: no exponent,
    NaN or Infinity; the ASCII digits only), at most 4 places, below 100,000,000
    (``MAX_QUANTITY``). Commas are taken only as thousands separators in groups of three
    (``1,000``, ``12,500.5``): a decimal comma (``1,5``) is refused rather than read as 15, and
    more places than 4 are refused rather than rounded away (``0.00001`` is not 0)."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise StockInputError(f"{field}: a number is needed.")
    if "," in text:
        if not THOUSANDS.match(text):
            raise StockInputError(
                f"{field}: {text[:30]!r} has a comma; write decimals with a point, e.g. 1.5."
            )
        text = text.replace(",", "")
    try:
        value = parse_money(raw if isinstance(raw, Decimal) else text)
    except ValidationError:
        raise StockInputError(
            f"{field}: {text[:30]!r} is not a number in plain digits, e.g. 12 or 2.5 "
            "(no exponents)."
        ) from None
    if abs(value) > MAX_QUANTITY:
        raise StockInputError(f"{field}: {text[:30]} is too large (at most 99,999,999).")
    if value < 0 and not allow_negative:
        raise StockInputError(f"{field}: cannot be negative.")
    if value != value.quantize(QUANT):
        raise StockInputError(f"{field}: {text[:30]} has more than 4 decimal places.")
    return value.quantize(QUANT)


def quantity_text(value: Decimal | int | None) -> str:
    """A quantity as people read it: no trailing zeros, no exponent ("31.5", "5", "1000")."""
    if value is None:
        return ""
    number = Decimal(value)
    if number == 0:
        return "0"
    return f"{number.normalize():f}"


def _locked_on_hand(store_item_ids: list[int], *, store_id: int) -> dict[int, Decimal]:
    """On hand of each of the store's items, its level row locked until the transaction ends.
    A level not yet made is made first (``ON CONFLICT DO NOTHING``): a lock on no row would let
    two counts of a new item both read 0 and add up (a double-clicked Count made 24 + 24 = 48)."""
    StockLevel.objects.bulk_create(
        [StockLevel(store_item_id=i, store_id=store_id) for i in sorted(store_item_ids)],
        ignore_conflicts=True,
    )
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
    counted = parse_quantity(counted, field="Quantity", allow_negative=False)
    with transaction.atomic():
        current = _locked_on_hand([store_item.pk], store_id=store_item.store_id).get(
            store_item.pk, Decimal(0)
        )
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
        quantity, field="Quantity", allow_negative=kind == MovementKind.ADJUSTMENT
    )
    if quantity == 0:
        raise StockInputError("quantity: enter a quantity other than zero.")
    reason = (reason or "").strip()
    if kind == MovementKind.ADJUSTMENT and not reason:
        raise StockInputError("reason: say why stock is adjusted (breakage, theft, found…).")
    with transaction.atomic():
        current = _locked_on_hand([store_item.pk], store_id=store_item.store_id).get(
            store_item.pk, Decimal(0)
        )
        if abs(current + quantity) > MAX_ON_HAND:
            raise StockInputError(
                f"Quantity: on hand would be {quantity_text(current + quantity)}, more than "
                "stock can hold; count the shelf instead."
            )
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
        was = level.reorder_point
        level.reorder_point = reorder_point
        level.save(update_fields=["reorder_point", "updated_at"])
        if was != reorder_point:
            reorder_point_recorded(levels=[(level, was)], actor=actor, reason="")
        _low_stock_check(
            store_id=store_item.store_id,
            moved=[_Moved(store_item.pk, level.on_hand, level.on_hand, reorder_point)],
            recheck=True,
            actor=actor,
        )
    logger.info(
        "reorder point set",
        extra={"store_item_id": store_item.pk, "actor": getattr(actor, "pk", None)},
    )
    return level
