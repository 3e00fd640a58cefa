"""Carts into orders: store the trip and its order at once, price it after commit.

An order carries its next action (``Order.next_action`` / ``next_action_at``) from the moment it
exists: PRICE when created, PAY once priced, PRICE again later when an item was missing. The task
queued after the commit only makes it happen sooner; payments' sweep (payments/sweep.py) takes
every order whose action is due, so a lost task or a broker outage only delays it. The task that
prices and then pays is payments' (payments sits above orders); orders names it, never imports it.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Item, StoreItem
from jwo_console.exceptions import ApplicationError
from jwo_console.heldwrites import insert_or_hold, reserve_ids
from jwo_console.queueing import send_on_commit
from shoppers.models import Shopper
from shoppers.services import gate_authorized_amount
from stores.choices import DelegationMode
from stores.models import JwoStoreMapping
from stores.selectors import mapping_for_store

from . import pricing
from .choices import ORDER_TRANSITIONS, ErrorStage, NextAction, OrderStatus
from .models import Order, OrderEvent, OrderLine, Promotion, ShoppingTrip, TaxRate
from .schedule import next_retry_at
from .selectors import order_get

# The task that advances an order (payments/tasks.py): price, then pay.
ADVANCE_TASK = "payments.tasks.order_advance_task"

logger = logging.getLogger(__name__)


class InvalidOrderTransition(ApplicationError):
    pass


def order_event(
    *, order: Order, type: str, actor: AbstractBaseUser | None = None, **parameters: Any
) -> OrderEvent:
    # held with the stored answer when a connector request holds its writes
    return insert_or_hold(OrderEvent(order=order, type=type, actor=actor, parameters=parameters))


def order_transition(
    *,
    order: Order,
    to: str,
    actor: AbstractBaseUser | None = None,
    reason: str = "",
    fields: dict | None = None,
) -> Order:
    """The one way an order changes status: checked against ORDER_TRANSITIONS, saved, recorded."""
    if to not in ORDER_TRANSITIONS.get(order.status, set()):
        raise InvalidOrderTransition(f"An order cannot go from {order.status} to {to}.")
    previous = order.status
    order.status = to
    for key, value in (fields or {}).items():
        setattr(order, key, value)
    order.save(update_fields=["status", "updated_at", *(fields or {}).keys()])
    order_event(
        order=order,
        type="status_changed",
        actor=actor,
        **{"from": previous, "to": to, "reason": reason},
    )
    return order


def order_next_action(order: Order, action: str, at: datetime | None) -> dict[str, Any]:
    """The fields that give ``order`` its next action (set on the instance, to be saved by the
    caller's UPDATE). No action means no time: the sweep's index holds only due work."""
    order.next_action = action
    order.next_action_at = at if action else None
    return {"next_action": order.next_action, "next_action_at": order.next_action_at}


def _task_grace(now: datetime) -> datetime:
    """When the sweep takes over an action whose task was queued now and never ran."""
    return now + timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS)


def _entry_and_people(auth_events: list[dict]) -> tuple[str, Shopper | None, list[str]]:
    entry = "APP" if any(e.get("payloadType") == "SCAN_CODE" for e in auth_events) else "CARD"
    shopper, loyalty = None, []
    for event in auth_events:
        result = event.get("scanResult") or {}
        if result.get("type") == "LOYALTY" and result.get("id"):
            loyalty.append(result["id"])
        elif result.get("id") and shopper is None:
            shopper = (
                Shopper.objects.filter(public_id=result["id"]).first()
                if _is_uuid(result["id"])
                else None
            )
    return entry, shopper, loyalty


def _visitor_type(auth_events: list[dict], shopper: Shopper | None) -> str:
    """SHOPPER, ASSOCIATE or CASH: the first auth event that says who entered (the trip's
    owner), else the shopper's kind."""
    for event in auth_events:
        kind = (event.get("scanResult") or {}).get("type")
        if kind in ("SHOPPER", "ASSOCIATE", "CASH"):
            return kind
    return shopper.kind if shopper is not None else "SHOPPER"


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def purchase_id_for(trip: ShoppingTrip) -> str:
    """Our purchase id, the one CreatePurchases answers: ``JWO`` and the trip's row id, ten
    digits. A trip has one order, so it is unique, and it is known before the order's row is
    written (one INSERT, no UPDATE after it)."""
    return f"JWO{trip.pk:010d}"


def order_create_from_purchase(
    *, mapping: JwoStoreMapping, data: dict, raw: dict
) -> tuple[Order, bool]:
    """CreatePurchases: store the trip and an order (PENDING) and answer at once; pricing runs
    in a task after the commit. One order per (JWO store id, trip id): a repeat returns it."""
    trip_data = data["shoppingTrip"]
    events = raw["shoppingTrip"]["authEvents"]
    entry, shopper, loyalty = _entry_and_people(events)
    visitor = _visitor_type(events, shopper)
    card = gate_authorized_amount(
        auth_event_ids=[str(e["id"])[:255] for e in events if e.get("payloadType") == "FINANCIAL"]
    )
    try:
        # No savepoint inside the connector's transaction (two round trips saved): its dedupe
        # lets one request per trip get here; a concurrent twin fails its request, and the retry
        # finds this order through the dedupe. Through the connector the rows are held and go
        # with the stored answer in one round trip (jwo_console/heldwrites.py): their ids are
        # reserved first, so the order can name its trip and the answer its purchase id.
        ids = reserve_ids(ShoppingTrip, Order)
        with transaction.atomic(savepoint=False):
            trip = ShoppingTrip(
                pk=ids[0] if ids else None,
                store=mapping.store,
                jwo_store_id=mapping.jwo_store_id,
                trip_id=data["idempotentShoppingTripId"],
                started_at=trip_data["startTime"],
                ended_at=trip_data["endTime"],
                entry_method=entry,
                shopper=shopper,
                loyalty_ids=loyalty,
                auth_events=raw["shoppingTrip"]["authEvents"],
                cart_items=raw["cartItems"],
                amazon_shopper_id=str((raw.get("shopperIdentity") or {}).get("id", ""))[:255],
                payment_source_id=str((raw.get("paymentSource") or {}).get("id", ""))[:255],
                visitor_type=visitor,
                trip_policy=mapping.trip_policy(visitor),
                authorized_amount=card.authorized_amount if card else None,
                authorized_amount_source=card.authorized_source if card else "",
            )
            insert_or_hold(trip)
            order = Order(
                pk=ids[1] if ids else None,
                trip=trip,
                store=mapping.store,
                delegation_mode=mapping.delegation_mode,
                currency=mapping.store.currency,
                next_action=NextAction.PRICE,
                next_action_at=_task_grace(timezone.now()),
                purchase_id=purchase_id_for(trip),
            )
            insert_or_hold(order)
            order_event(order=order, type="created", cart_lines=len(raw["cartItems"]), entry=entry)
            if trip.trip_policy != "CHARGE":
                order_event(
                    order=order,
                    type="trip_policy",
                    visitor=visitor,
                    policy=trip.trip_policy,
                    label=trip.get_trip_policy_display(),
                )
            send_on_commit(ADVANCE_TASK, order.pk, None, order_id=order.pk)
    except IntegrityError:
        if connection.in_atomic_block:
            raise
        existing = Order.objects.get(
            trip__jwo_store_id=mapping.jwo_store_id, trip__trip_id=data["idempotentShoppingTripId"]
        )
        return existing, False
    logger.info("order created", extra={"order_id": order.pk, "trip_id": trip.trip_id})
    return order, True


def _cart_lines(order: Order) -> tuple[list[pricing.CartLine], list[dict], list[str]]:
    """The trip's cart as priced lines. Missing SKUs are named, not guessed."""
    items = order.trip.cart_items
    merchant = order.store.merchant
    codes = {str(i["id"]) for i in items if i.get("type") == "SCANCODE"}
    skus = {str(i["id"]) for i in items if i.get("type") != "SCANCODE"}
    # The SKUs' items and their prices here in one query (an item the store does not sell
    # active is missing either way); scanned codes need the barcode lookup first.
    sold = StoreItem.objects.filter(store=order.store, is_active=True).select_related("item")
    by_sku, prices, entitlements = {}, {}, {}
    if skus:
        for e in sold.filter(item__merchant=merchant, item__sku__in=skus):
            by_sku[e.item.sku] = e.item
            prices[e.item_id] = e.price
            entitlements[e.item_id] = e.pk
    by_barcode = _items_by_barcode(merchant, codes)
    if by_barcode:
        for item_id, price, pk in sold.filter(item__in=by_barcode.values()).values_list(
            "item_id", "price", "pk"
        ):
            prices[item_id] = price
            entitlements[item_id] = pk
    lines, meta, missing = [], [], []
    for cart_item in items:
        key = str(cart_item["id"])
        item = by_barcode.get(key) if cart_item.get("type") == "SCANCODE" else by_sku.get(key)
        if item is None or item.pk not in prices:
            missing.append(key)
            continue
        quantity = Decimal(str(cart_item["quantity"]["value"]))
        lines.append(
            pricing.CartLine(
                sku=item.sku,
                quantity=quantity,
                unit_price=prices[item.pk],
                category=item.category,
                tax_code=item.tax_code,
                name=item.name,
            )
        )
        meta.append(
            {
                "unit": cart_item["quantity"].get("unit", ""),
                "line_item_id": str(cart_item.get("lineItemId") or "")[:255],
                "store_item_id": entitlements[item.pk],
            }
        )
    return lines, meta, missing


def _items_by_barcode(merchant, codes: set[str]) -> dict[str, Item]:
    """SCANCODE items: the item whose barcode — its primary one or any of its extra ones — is
    the code (exactly: leading zeros matter)."""
    if not codes:
        return {}
    found = {i.barcode: i for i in Item.objects.filter(merchant=merchant, barcode__in=codes)}
    for code in codes - found.keys():
        candidates = Item.objects.filter(merchant=merchant, extra_barcodes__icontains=code)
        for item in candidates:
            if any(str(e.get("id")) == code for e in item.extra_barcodes or []):
                found[code] = item
                break
    return found


def _promotions(order: Order) -> list[pricing.Promo]:
    at = order.trip.ended_at
    qs = Promotion.objects.filter(merchant=order.store.merchant, is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at),
        Q(ends_at__isnull=True) | Q(ends_at__gte=at),
    )
    return [
        pricing.Promo(
            name=p.name,
            kind=p.kind,
            sku=p.sku,
            category=p.category,
            percent=p.percent,
            amount=p.amount,
            buy_qty=p.buy_qty,
            get_qty=p.get_qty,
            threshold=p.threshold,
        )
        for p in qs
    ]


def _loyalty(order: Order) -> tuple[tuple[str, Decimal] | None, str]:
    """(program name, percent off) for a loyalty member on a Full-delegation trip, asked of the
    store's provider — before any transaction opens. The second value is an error to report."""
    from integrations.loyalty import LoyaltyUnavailable, loyalty_client

    if order.delegation_mode != DelegationMode.FULL or not order.trip.loyalty_ids:
        return None, ""
    mapping = mapping_for_store(store=order.store_id)
    if mapping is None:
        return None, ""
    client = loyalty_client(mapping.loyalty_provider)
    try:
        member = client.member(order.trip.loyalty_ids[0])
    except LoyaltyUnavailable as exc:
        return None, f"loyalty discount unknown ({exc}); retry"
    if member is None or member.discount_percent <= 0:
        return None, ""
    return (f"{client.label} {member.tier.title()} rewards", member.discount_percent), ""


def order_price(*, order_id: int, actor: AbstractBaseUser | None = None) -> Order:
    """Price the order (again, after a fix): PRICED with lines and totals and the next action
    PAY, or ERROR naming the SKUs the catalog lacks (priced again on the retry schedule), a
    loyalty provider that did not answer (priced again shortly), or whatever else went wrong:
    pricing never leaves an order without a message."""
    snapshot = order_get(order_id, "trip", "store")
    loyalty, loyalty_error = _loyalty(snapshot)  # a remote call: outside the transaction
    now = timezone.now()
    with transaction.atomic():
        order = order_get(order_id, "trip", "store__merchant", lock=True)
        if order.status not in (OrderStatus.PENDING, OrderStatus.ERROR):
            return order
        if order.status == OrderStatus.ERROR and order.error_stage != ErrorStage.PRICING:
            return order  # priced already; its payment failed
        try:
            with transaction.atomic():  # a savepoint: a failure below leaves the order intact
                priced, message, sold = _price_lines(order, loyalty=loyalty)
        except (ArithmeticError, DatabaseError, KeyError, TypeError, ValueError) as exc:
            logger.exception("pricing failed", extra={"order_id": order.pk})
            priced, message, sold = None, f"pricing failed ({type(exc).__name__}: {exc})", {}
        if priced is None or message or loyalty_error:
            return _pricing_failed(
                order=order,
                message=message or loyalty_error,
                retry_soon=bool(loyalty_error) and not message,
                actor=actor,
                now=now,
            )
        # Stock (stock/services.py): the order's items leave stock once, as it becomes PRICED;
        # the priced lines' entitlements and quantities are handed over (no lookup again).
        from stock.services import stock_deplete_for_order

        stock_deplete_for_order(order=order, sold=sold)
        return order_transition(
            order=order,
            to=OrderStatus.PRICED,
            actor=actor,
            reason="priced",
            fields={
                "sub_total": priced.sub_total,
                "promotions_total": priced.promotions_total,
                "tax_total": priced.tax_total,
                "total": priced.total,
                "priced_at": now,
                "error_stage": "",
                "error_message": "",
                **order_next_action(order, NextAction.PAY, _task_grace(now)),
            },
        )


def _price_lines(
    order: Order, *, loyalty
) -> tuple[pricing.PricedCart | None, str, dict[int, Decimal]]:
    """The order's lines, written; or why not (an item the catalog lacks, an unreadable cart).
    The third value is what the lines take out of stock: the store's entitlement (StoreItem
    id) of each priced item and its quantity, summed over lines of the same item."""
    try:
        lines, meta, missing = _cart_lines(order)
    except (InvalidOperation, KeyError, TypeError) as exc:
        return None, f"the cart could not be read: {exc}", {}
    if missing:
        return None, "; ".join(f"item SKU {sku} not in catalog" for sku in missing), {}
    rates = dict(TaxRate.objects.filter(store=order.store).values_list("tax_code", "rate"))
    priced = pricing.price_cart(
        lines,
        mode=order.delegation_mode,
        promotions=_promotions(order),
        tax_rates=rates,
        loyalty=loyalty,
    )
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_no=n,
            line_item_id=m["line_item_id"],
            sku=p.line.sku,
            name=p.line.name,
            quantity=p.line.quantity,
            unit=m["unit"],
            unit_price=p.line.unit_price,
            price=p.price,
            promotions=[{"name": name, "amount": str(amount)} for name, amount in p.promotions],
            discount=p.discount,
            tax_rate=p.tax_rate,
            tax=p.tax,
            total=p.total,
        )
        for n, (p, m) in enumerate(zip(priced.lines, meta, strict=True), start=1)
    )
    sold: dict[int, Decimal] = {}
    for line, m in zip(lines, meta, strict=True):
        sold[m["store_item_id"]] = sold.get(m["store_item_id"], Decimal(0)) + line.quantity
    return priced, "", sold


def _pricing_failed(
    *,
    order: Order,
    message: str,
    retry_soon: bool,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Order:
    """ERROR at the pricing stage, priced again later: soon when a provider did not answer,
    otherwise on the retry schedule (a missing item waits for the catalog to be fixed)."""
    if retry_soon:
        due: datetime | None = now + timedelta(seconds=settings.JWO_TRANSIENT_RETRY_SECONDS)
        due = due if due < order.retry_by else None
    else:
        failures = order.events.filter(
            type="status_changed", parameters__to=OrderStatus.ERROR
        ).count()
        due = next_retry_at(order=order, retry_no=failures + 1, now=now)
    return order_transition(
        order=order,
        to=OrderStatus.ERROR,
        actor=actor,
        reason=message[:300],
        fields={
            "error_stage": ErrorStage.PRICING,
            "error_message": message[:500],
            **order_next_action(order, NextAction.PRICE if due else NextAction.NONE, due),
        },
    )
