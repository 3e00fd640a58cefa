"""The home page's order figures: an hourly rollup (OrderHourStats) up to a watermark, plus a
live count of the orders after it, so the page sums a few hundred rows instead of scanning a
month of orders. The rollup of a range is rebuilt whole (delete + insert in one transaction),
so refreshing twice, or from two beats, gives the same rows."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from orders.models import Order

from .models import OrderHourStats, OrderStatsWatermark

RECENT_HOURS = 49  # the retry window (48 h) and a margin: statuses still change in it
HISTORY_DAYS = 32  # refunds reach back 30 days


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def _grouped(orders):
    return (
        orders.order_by()
        .values("store_id", "status", "retries", "currency")
        .annotate(
            n=Count("pk"),
            n_captured=Count("pk", filter=Q(captured_amount__gt=0)),
            captured_sum=Sum("captured_amount"),
            refunded_sum=Sum("refunded_amount"),
        )
    )


def order_stats_refresh(*, hours: int = RECENT_HOURS, now: datetime | None = None) -> int:
    """Rebuild the rollup of the complete hours of the last ``hours``; move the watermark to the
    current hour. Returns the rows written."""
    until = _hour(now or timezone.now())
    since = until - timedelta(hours=hours)
    rows = (
        _grouped(Order.objects.filter(source="JWO", created_at__gte=since, created_at__lt=until))
        .annotate(bucket=TruncHour("created_at"))
        .values("bucket", "store_id", "status", "retries", "currency", "n", "n_captured",
                "captured_sum", "refunded_sum")
    )  # fmt: skip
    stats = [
        OrderHourStats(
            store_id=r["store_id"], hour=r["bucket"], status=r["status"], retries=r["retries"],
            currency=r["currency"], orders=r["n"], captured_orders=r["n_captured"],
            captured=r["captured_sum"] or 0, refunded=r["refunded_sum"] or 0,
        )
        for r in rows
    ]  # fmt: skip
    with transaction.atomic():
        watermark = OrderStatsWatermark.objects.select_for_update().filter(name="orders").first()
        OrderHourStats.objects.filter(hour__gte=since, hour__lt=until).delete()
        OrderHourStats.objects.bulk_create(stats, batch_size=2000)
        if watermark is None:
            # Older hours were never rolled up: until a full refresh, they are counted live.
            if hours >= HISTORY_DAYS * 24:
                OrderStatsWatermark.objects.create(name="orders", until=until)
        elif until > watermark.until and since <= watermark.until:
            watermark.until = until
            watermark.save()
    return len(stats)


@dataclass
class Bucket:
    orders: int = 0
    captured_orders: int = 0
    captured: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)


@dataclass
class OrderFigures:
    """(status, retries, currency) → sums over a period."""

    groups: dict[tuple[str, int, str], Bucket] = field(default_factory=dict)

    def add(self, key, orders, captured_orders, captured, refunded) -> None:
        bucket = self.groups.setdefault(key, Bucket())
        bucket.orders += orders
        bucket.captured_orders += captured_orders
        bucket.captured += captured or 0
        bucket.refunded += refunded or 0


def order_figures(
    *, start: datetime, store=None, stores=None, now: datetime | None = None
) -> OrderFigures:
    """The period's figures: the rollup's complete hours after ``start`` up to the watermark,
    the rest counted live; of one ``store``, of ``stores``, or of all."""
    now = now or timezone.now()
    figures = OrderFigures()
    watermark = OrderStatsWatermark.objects.filter(name="orders").values_list("until", flat=True)
    watermark = watermark.first()
    live_ranges = [(start, now)]
    if watermark is not None and _ceil_hour(start) < watermark:
        rolled_from = _ceil_hour(start)
        stats = OrderHourStats.objects.filter(hour__gte=rolled_from, hour__lt=watermark)
        if store is not None:
            stats = stats.filter(store=store)
        if stores is not None:
            stats = stats.filter(store__in=stores)
        for r in (
            stats.order_by()
            .values("status", "retries", "currency")
            .annotate(n=Sum("orders"), nc=Sum("captured_orders"), c=Sum("captured"),
                      rf=Sum("refunded"))
        ):  # fmt: skip
            figures.add(
                (r["status"], r["retries"], r["currency"]), r["n"], r["nc"], r["c"], r["rf"]
            )
        live_ranges = [(start, rolled_from), (watermark, now)]
    for low, high in live_ranges:
        if low >= high:
            continue
        orders = Order.objects.filter(source="JWO", created_at__gte=low, created_at__lt=high)
        if store is not None:
            orders = orders.filter(store=store)
        if stores is not None:
            orders = orders.filter(store__in=stores)
        for r in _grouped(orders):
            figures.add(
                (r["status"], r["retries"], r["currency"]), r["n"], r["n_captured"],
                r["captured_sum"], r["refunded_sum"],
            )  # fmt: skip
    return figures
