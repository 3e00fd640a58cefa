"""Opening stock for `make run`: each demo store's items counted on the shelf three mornings
ago, with reorder points, so Catalog → Stock opens on a store as a merchant keeps it (on hand,
days of cover, the demo days' sales taken out of it) instead of every item "never counted" and
negative. One item per store is counted below its reorder point, so the Low stock tile and
Operations → Alerts show what a low item looks like."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import StoreItem
from stores.models import Store

from .models import StockLevel, StockMovement
from .movements import stock_count, stock_reorder_point_set

OPENING_REASON = "opening count (demo)"
LOW_SKU = "SNK-005"  # counted below its reorder point in every demo store


def _opening(sku: str, k: int) -> tuple[Decimal, Decimal]:
    """(counted, reorder point) of the ``k``-th item: fresh food in small numbers, drinks and
    snacks by the case."""
    if sku == LOW_SKU:
        return Decimal(4), Decimal(12)
    if sku.startswith("FRS-"):
        return Decimal(14 + 3 * (k % 3)), Decimal(6)
    return Decimal(36 + 6 * (k % 5)), Decimal(12)


def _counted_at(store: Store, now: datetime) -> datetime:
    """08:00 in the store's own time zone, three days before ``now``."""
    day = now.astimezone(store.zone).date() - timedelta(days=3)
    return datetime.combine(day, time(8), tzinfo=store.zone)


def seed_demo_stock(*, stores: list[Store], now: datetime | None = None) -> int:
    """Count every item of ``stores`` whose stock nobody has touched yet (idempotent: an item
    with a level — counted, delivered, sold or adjusted by anyone, or by the last seed — is
    left alone, so a second run never overwrites what a user did) and date the count three
    mornings ago. Returns how many items were counted."""
    now = now or timezone.now()
    counted = 0
    for store in stores:
        when = _counted_at(store, now)
        already = set(
            StockLevel.objects.filter(store=store).values_list("store_item_id", flat=True)
        )
        entitlements = (
            StoreItem.objects.filter(store=store)
            .exclude(pk__in=already)
            .select_related("item")
            .order_by("item__sku")
        )
        for k, si in enumerate(entitlements):
            quantity, reorder_point = _opening(si.item.sku, k)
            with transaction.atomic():
                last = StockMovement.objects.filter(store_item=si).order_by("-pk").first()
                stock_count(store_item=si, counted=quantity, actor=None, reason=OPENING_REASON)
                stock_reorder_point_set(store_item=si, reorder_point=reorder_point, actor=None)
                moved = StockMovement.objects.filter(store_item=si)
                if last is not None:
                    moved = moved.filter(pk__gt=last.pk)
                moved.update(created_at=when)
                StockLevel.objects.filter(store_item=si).update(
                    last_counted_at=when, last_movement_at=when
                )
            counted += 1
    return counted
