"""Reads for the stock pages and the home tile."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from alerts.choices import UNRESOLVED, AlertKind
from alerts.models import Alert
from catalog.models import StoreItem
from stores.models import Store

from .choices import SALES_KINDS
from .models import StockLevel, StockMovement

LEVEL_FILTERS = {
    "below": "Below reorder point",
    "negative": "Negative",
    "never": "Never counted",
}


def stock_stores() -> QuerySet[Store]:
    return Store.objects.order_by("name").only("pk", "name", "code", "time_zone", "merchant_id")


def stock_rows(*, store: Store, level: str = "", q: str = "") -> QuerySet[StoreItem]:
    """The store's entitlements with their stock level (a LEFT JOIN: an item never moved has
    none, and shows 0 on hand, never counted)."""
    qs = (
        # The merchant's SKU index (item_unique_sku) gives the order: a page reads its 50 rows
        # by index instead of sorting the store's whole catalog.
        StoreItem.objects.filter(store=store, item__merchant_id=store.merchant_id)
        .select_related("item", "stock")
        .only(
            "pk",
            "is_active",
            "item__sku",
            "item__name",
            "stock__on_hand",
            "stock__reorder_point",
            "stock__last_counted_at",
        )
    )
    if q:
        qs = qs.filter(Q(item__sku__icontains=q) | Q(item__name__icontains=q))
    if level == "below":
        qs = qs.filter(
            stock__reorder_point__isnull=False, stock__on_hand__lt=F("stock__reorder_point")
        )
    elif level == "negative":
        qs = qs.filter(stock__on_hand__lt=0)
    elif level == "never":
        qs = qs.filter(Q(stock__isnull=True) | Q(stock__last_counted_at__isnull=True))
    return qs.order_by("item__sku")  # unique per merchant


def store_day_start(*, store: Store, now: datetime) -> datetime:
    local = timezone.localtime(now, store.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Sales:
    today: Decimal
    week: Decimal


def stock_sales(
    *, store: Store, store_item_ids: list[int], now: datetime | None = None
) -> dict[int, Sales]:
    """Net units sold (JWO sales less what came back) today (the store's day) and in the last
    7 days, for the given entitlements: one grouped query over their recent movements."""
    now = now or timezone.now()
    day = store_day_start(store=store, now=now)
    week = now - timedelta(days=7)
    rows = (
        StockMovement.objects.filter(
            store_item_id__in=store_item_ids, kind__in=SALES_KINDS, created_at__gte=min(week, day)
        )
        .values("store_item_id")
        .annotate(
            today=Sum("quantity", filter=Q(created_at__gte=day)),
            week=Sum("quantity", filter=Q(created_at__gte=week)),
        )
        .order_by()
    )
    return {
        r["store_item_id"]: Sales(today=-(r["today"] or 0), week=-(r["week"] or 0)) for r in rows
    }


def days_of_cover(*, on_hand: Decimal, sold_week: Decimal) -> Decimal | None:
    """How many days on hand lasts at the last 7 days' pace; None without sales."""
    if sold_week <= 0:
        return None
    if on_hand <= 0:
        return Decimal(0)
    return (on_hand / (sold_week / 7)).quantize(Decimal("0.1"))


def stock_movements(*, store_item: StoreItem) -> QuerySet[StockMovement]:
    return store_item.stock_movements.select_related("actor", "order").order_by(
        "-created_at", "-pk"
    )


@dataclass(frozen=True)
class LowStockSummary:
    below: int
    negative: int
    open_alerts: int
    stores: list[tuple[Store, int, int]]  # (store, below, negative), the most first, five
    more_stores: int = 0  # stores with low stock beyond those five


def low_stock_summary() -> LowStockSummary:
    """For the home tile: levels below their reorder point, negative ones, open alerts, and
    each store's two figures (the stock page shows one store at a time, so every link the tile
    has is a store's)."""
    below_q = Q(reorder_point__isnull=False, on_hand__lt=F("reorder_point"))
    negative_q = Q(on_hand__lt=0)
    per_store = list(
        StockLevel.objects.filter(below_q | negative_q)
        .values("store_id")
        .annotate(
            n=Count("pk"),
            below=Count("pk", filter=below_q),
            negative=Count("pk", filter=negative_q),
        )
        .order_by("-n", "store_id")
    )
    names = {s.pk: s for s in Store.objects.filter(pk__in=[r["store_id"] for r in per_store[:5]])}
    open_alerts = Alert.objects.filter(kind=AlertKind.LOW_STOCK, status__in=UNRESOLVED).count()
    return LowStockSummary(
        below=sum(r["below"] for r in per_store),
        negative=sum(r["negative"] for r in per_store),
        open_alerts=open_alerts,
        stores=[
            (names[r["store_id"]], r["below"], r["negative"])
            for r in per_store[:5]
            if r["store_id"] in names
        ],
        more_stores=max(0, len(per_store) - 5),
    )
