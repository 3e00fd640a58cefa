"""The home page's numbers: what needs the merchant or staff member now. Each tile is one or two
aggregate queries on indexed columns (bench/reconciliation.py times the page at 1M orders)."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogSyncRun
from feeds.models import EventStatus, FeedEvent, IntradayFile
from orders.choices import OrderStatus
from orders.models import Order
from payments.choices import RefundStatus
from payments.models import Refund
from reconciliation.models import ReconciliationRun
from shoppers.choices import GateReason
from shoppers.models import GateDecision
from stores.models import Store

from .stats import OrderFigures, order_figures

PERIODS = {"today": ("Today", 0), "7d": ("Last 7 days", 6), "30d": ("Last 30 days", 29)}
PAID = [OrderStatus.PAID, OrderStatus.COMPLETED]


@dataclass
class Scope:
    period: str
    label: str
    zone: zoneinfo.ZoneInfo
    start: datetime
    first_day: date
    stores: list[Store]
    store: Store | None

    @property
    def mixed_zones(self) -> bool:
        """All stores, in more than one time zone: each store's day is its own."""
        return self.store is None and len({s.time_zone for s in self.stores}) > 1

    def grid(self, **params) -> str:
        """The order grid filtered to this scope (and ``params``)."""
        query = {"source": "JWO", "created_from": self.first_day.isoformat(), **params}
        if self.store:
            query["store"] = self.store.pk
        return f"{reverse('payments:orders')}?{urlencode(query)}"


def scope_for(*, period: str, store_pk: str = "", now: datetime | None = None) -> Scope:
    stores = list(Store.objects.filter(jwo_mapping__isnull=False).order_by("name"))
    store = next((s for s in stores if str(s.pk) == store_pk), None)
    zones = {s.time_zone for s in ([store] if store else stores)}
    zone = zoneinfo.ZoneInfo(zones.pop() if len(zones) == 1 else settings.TIME_ZONE)
    period = period if period in PERIODS else "today"
    label, back = PERIODS[period]
    today = (now or timezone.now()).astimezone(zone).date()
    first_day = today - timedelta(days=back)
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    return Scope(period, label, zone, start, first_day, stores, store)


def figures(scope: Scope) -> OrderFigures:
    """The scope's order figures. Across stores in different zones each store's day begins at
    its own midnight — as the order grid's day filter reads it, so every number links to
    exactly the orders it counts."""
    if not scope.mixed_zones:
        return order_figures(start=scope.start, store=scope.store)
    zones: dict[str, list[Store]] = {}
    for store in scope.stores:
        zones.setdefault(store.time_zone, []).append(store)
    merged = OrderFigures()
    for zone_name, stores in zones.items():
        start = datetime.combine(scope.first_day, time.min, tzinfo=zoneinfo.ZoneInfo(zone_name))
        for key, bucket in order_figures(start=start, stores=stores).groups.items():
            merged.add(key, bucket.orders, bucket.captured_orders, bucket.captured, bucket.refunded)
    return merged


def sales(figures: OrderFigures) -> list[dict]:
    by_currency: dict[str, dict] = {}
    for (status, _, currency), bucket in figures.groups.items():
        if status not in PAID:
            continue
        row = by_currency.setdefault(
            currency, {"currency": currency, "n": 0, "captured": Decimal(0), "refunded": Decimal(0)}
        )
        row["n"] += bucket.orders
        row["captured"] += bucket.captured
        row["refunded"] += bucket.refunded
    return [{**r, "net": r["captured"] - r["refunded"]} for r in by_currency.values()]


def orders_by_status(scope: Scope, figures: OrderFigures) -> list[dict]:
    counts: dict[str, int] = {}
    for (status, _, _), bucket in figures.groups.items():
        counts[status] = counts.get(status, 0) + bucket.orders
    return [
        {"status": value, "label": label, "n": counts.get(value, 0),
         "url": scope.grid(status=value)}
        for value, label in OrderStatus.choices
    ]  # fmt: skip


def retry_window_closing(scope: Scope, *, hours: int = 6, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    window = timedelta(hours=settings.JWO_RETRY_WINDOW_HOURS)
    orders = Order.objects.filter(
        source="JWO",
        status=OrderStatus.ERROR,
        created_at__gt=now - window,
        created_at__lte=now - window + timedelta(hours=hours),
    )
    if scope.store:
        orders = orders.filter(store=scope.store)
    found = orders.order_by().aggregate(n=Count("pk"), owed=Sum("total"), first=Min("created_at"))
    query = {"status": "ERROR", "retry_closes_within": hours}
    if scope.store:
        query["store"] = scope.store.pk
    return {
        "n": found["n"],
        "owed": found["owed"] or Decimal(0),
        "closes_at": found["first"] + window if found["first"] else None,
        "hours": hours,
        "url": f"{reverse('payments:orders')}?{urlencode(query)}",
    }


def recovery_by_retry(scope: Scope, figures: OrderFigures) -> list[dict]:
    """Orders completed in the period by the retry that collected them (0: the first attempt)."""
    by_retry: dict[int, list] = {}
    for (status, retries, _), bucket in figures.groups.items():
        if status == OrderStatus.COMPLETED and bucket.captured_orders:
            entry = by_retry.setdefault(retries, [0, Decimal(0)])
            entry[0] += bucket.captured_orders
            entry[1] += bucket.captured
    top = max([n for n, _ in by_retry.values()] or [0])
    bars = []
    for retry in range(0, max([8, *by_retry.keys()]) + 1):
        n, amount = by_retry.get(retry, (0, Decimal(0)))
        bars.append(
            {
                "retry": retry,
                "label": "first try" if retry == 0 else f"retry {retry}",
                "n": n,
                "amount": amount,
                "height": 0 if not top else max(2 if n else 0, round(120 * n / top)),
                "url": scope.grid(status=OrderStatus.COMPLETED, retries=retry),
            }
        )
    return bars


def refunds_waiting(scope: Scope) -> dict:
    refunds = Refund.objects.filter(status=RefundStatus.REQUESTED)
    if scope.store:
        refunds = refunds.filter(order__store=scope.store)
    found = refunds.aggregate(n=Count("pk"), amount=Sum("amount"), oldest=Min("created_at"))
    return {**found, "url": reverse("payments:refunds")}


def catalog_syncs(scope: Scope) -> list[dict]:
    """Each store's newest sync run, in one query."""
    stores = [scope.store] if scope.store else scope.stores
    newest = (
        CatalogSyncRun.objects.filter(store=OuterRef("store")).order_by("-created_at").values("pk")
    )
    runs = {
        run.store_id: run
        for run in CatalogSyncRun.objects.filter(store__in=stores, pk=Subquery(newest[:1]))
    }
    return [{"store": store, "run": runs.get(store.pk)} for store in stores]


def reconciliation_status(scope: Scope) -> list[dict]:
    """Per store: the newest run, yesterday's state and the days of the period with mismatches
    (each day's newest run counts)."""
    stores = [scope.store] if scope.store else scope.stores
    newest: dict[tuple[int, date], ReconciliationRun] = {}
    for run in ReconciliationRun.objects.filter(
        store__in=stores, day__gte=scope.first_day - timedelta(days=1)
    ).order_by("store", "day", "-started_at"):
        newest.setdefault((run.store_id, run.day), run)
    rows = []
    for store in stores:
        yesterday = timezone.now().astimezone(store.zone).date() - timedelta(days=1)
        runs = [r for (pk, _), r in newest.items() if pk == store.pk]
        latest = max(runs, key=lambda r: (r.day, r.started_at), default=None)
        rows.append(
            {
                "store": store,
                "latest": latest,
                "days_mismatched": sum(1 for r in runs if r.mismatches),
                "yesterday": newest.get((store.pk, yesterday)),
                "url": f"{reverse('reconciliation:days')}?{urlencode({'store': store.pk})}",
            }
        )
    return rows


def reporting_health() -> dict:
    return {
        "dead_letters": FeedEvent.objects.filter(status=EventStatus.FAILED).count(),
        "bad_files": IntradayFile.objects.filter(status__in=["PARTIAL", "FAILED"]).count(),
        "last_file": IntradayFile.objects.order_by("-last_modified")
        .values_list("last_modified", flat=True)
        .first(),
    }


def gate_decisions(scope: Scope) -> dict:
    """Admitted and refused in the period, and the top reasons for refusing, in one query."""
    decisions = GateDecision.objects.filter(decided_at__gte=scope.start)
    ids = [scope.store.jwo_mapping.jwo_store_id] if scope.store else []
    if ids:
        decisions = decisions.filter(jwo_store_id__in=ids)
    grouped = decisions.order_by().values_list("admitted", "reason").annotate(n=Count("pk"))
    labels = dict(GateReason.choices)
    base = reverse("shoppers:gate-activity")
    extra = {"store": ids[0]} if ids else {}
    admitted = refused = 0
    reasons = []
    for was_admitted, reason, n in grouped:
        if was_admitted:
            admitted += n
            continue
        refused += n
        query = urlencode({**extra, "outcome": "refused", "reason": reason})
        reasons.append(
            {"reason": reason, "label": labels.get(reason, reason), "n": n,
             "url": f"{base}?{query}"}
        )  # fmt: skip
    return {
        "admitted": admitted,
        "refused": refused,
        "reasons": sorted(reasons, key=lambda r: -r["n"])[:5],
        "admitted_url": f"{base}?{urlencode({**extra, 'outcome': 'admitted'})}",
        "refused_url": f"{base}?{urlencode({**extra, 'outcome': 'refused'})}",
    }


def payment_reviews(scope: Scope) -> dict:
    """Orders whose payment outcome is unknown and waits for a person, whenever they were made
    (they need someone now, whatever the period)."""
    orders = Order.objects.filter(status=OrderStatus.REVIEW)
    if scope.store:
        orders = orders.filter(store=scope.store)
    found = orders.order_by().aggregate(n=Count("pk"), amount=Sum("total"))
    query = {"status": OrderStatus.REVIEW}
    if scope.store:
        query["store"] = scope.store.pk
    return {
        "n": found["n"],
        "amount": found["amount"] or Decimal(0),
        "url": f"{reverse('payments:orders')}?{urlencode(query)}",
    }


def collected_short(scope: Scope) -> dict:
    """Orders of the period paid for less than their total: the store credit they still owe
    (on the partial index of short collections)."""
    orders = Order.objects.filter(store_credit_amount__gt=0, created_at__gte=scope.start)
    if scope.store:
        orders = orders.filter(store=scope.store)
    found = orders.order_by().aggregate(n=Count("pk"), owed=Sum("store_credit_amount"))
    return {
        "n": found["n"],
        "owed": found["owed"] or Decimal(0),
        "url": scope.grid(collected_short="true"),
    }
