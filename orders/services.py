"""Carts into orders: store the trip and its order at once, price it after commit."""

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Item, StoreItem
from jwo_console.exceptions import ApplicationError
from shoppers.models import Shopper
from stores.models import JwoStoreMapping

from . import pricing
from .choices import ORDER_TRANSITIONS, ErrorStage, OrderStatus
from .models import Order, OrderEvent, OrderLine, Promotion, ShoppingTrip, TaxRate
from .signals import order_priced

logger = logging.getLogger(__name__)


class InvalidOrderTransition(ApplicationError):
    pass


def order_event(
    *, order: Order, type: str, actor: AbstractBaseUser | None = None, **parameters: Any
) -> OrderEvent:
    return OrderEvent.objects.create(order=order, type=type, actor=actor, parameters=parameters)


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


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def order_create_from_purchase(
    *, mapping: JwoStoreMapping, data: dict, raw: dict
) -> tuple[Order, bool]:
    """CreatePurchases: store the trip and an order (PENDING) and answer at once; pricing runs
    in a task after the commit. One order per (JWO store id, trip id): a repeat returns it."""
    trip_data = data["shoppingTrip"]
    entry, shopper, loyalty = _entry_and_people(raw["shoppingTrip"]["authEvents"])
    try:
        with transaction.atomic():
            trip = ShoppingTrip.objects.create(
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
            )
            order = Order.objects.create(
                trip=trip,
                store=mapping.store,
                delegation_mode=mapping.delegation_mode,
                currency=mapping.store.currency,
            )
            order.purchase_id = f"JWO{order.pk:010d}"
            order.save(update_fields=["purchase_id"])
            order_event(order=order, type="created", items=len(raw["cartItems"]), entry=entry)

            def enqueue() -> None:
                from .tasks import order_price_task

                order_price_task.delay(order.pk)

            transaction.on_commit(enqueue)
    except IntegrityError:
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
    ids = {str(i["id"]) for i in items}
    by_sku = {i.sku: i for i in Item.objects.filter(merchant=merchant, sku__in=ids)}
    by_barcode = {i.barcode: i for i in Item.objects.filter(merchant=merchant, barcode__in=ids)}
    prices = {
        e.item_id: e.price
        for e in StoreItem.objects.filter(store=order.store, is_active=True).filter(
            Q(item__in=by_sku.values()) | Q(item__in=by_barcode.values())
        )
    }
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
        meta.append({"unit": cart_item["quantity"].get("unit", "")})
    return lines, meta, missing


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

    if order.delegation_mode != "FULL" or not order.trip.loyalty_ids:
        return None, ""
    mapping = JwoStoreMapping.objects.filter(store=order.store).first()
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


def order_price(
    *, order_id: int, actor: AbstractBaseUser | None = None, notify: bool = True
) -> Order:
    """Price the order (again, after a fix): PRICED with lines and totals, or ERROR naming the
    SKUs the catalog lacks (or a loyalty provider that did not answer).

    A PRICED order is announced with the ``order_priced`` signal (payments takes it from there)
    unless ``notify`` is off: a retry that re-prices goes on to pay by itself."""
    snapshot = Order.objects.select_related("trip", "store").get(pk=order_id)
    loyalty, loyalty_error = _loyalty(snapshot)  # a remote call: outside the transaction
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("trip", "store__merchant")
            .get(pk=order_id)
        )
        if order.status not in (OrderStatus.PENDING, OrderStatus.ERROR):
            return order
        try:
            lines, meta, missing = _cart_lines(order)
        except (InvalidOperation, KeyError, TypeError) as exc:
            missing, lines, meta = [], [], []
            message = f"the cart could not be read: {exc}"
        else:
            message = ""
        if missing:
            message = "; ".join(f"item SKU {sku} not in catalog" for sku in missing)
        message = message or loyalty_error
        if message:
            return order_transition(
                order=order,
                to=OrderStatus.ERROR,
                actor=actor,
                reason=message,
                fields={"error_stage": ErrorStage.PRICING, "error_message": message[:500]},
            )
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
        # --- stock (issue 16): the order's items leave stock once, as it becomes PRICED ---
        from stock.services import stock_deplete_for_order

        stock_deplete_for_order(order=order)
        # --- end stock ---
        if notify:
            order_priced.send(sender=Order, order_id=order.pk)
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
                "priced_at": timezone.now(),
                "error_stage": "",
                "error_message": "",
            },
        )
