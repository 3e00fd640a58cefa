import re
from datetime import timedelta

import django_filters
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shoppers.models import Shopper
from stores.models import Store

from .choices import OrderStatus
from .models import Order, ShoppingTrip

PURCHASE_ID = re.compile(r"^JWO\d{10}$", re.IGNORECASE)
SORTS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "total_desc": ("-total", "-pk"),
    "total_asc": ("total", "pk"),
}


class OrderFilterSet(django_filters.FilterSet):
    """The order grid's filters (Financial → Orders), reused by its CSV export.

    Search matches exactly on what staff paste from a ticket — the purchaseId, Amazon's trip id
    or shopper id — and on part of a shopper's e-mail or name. Each goes through an index, so
    the grid stays fast at a million orders (bench/orders.py)."""

    q = django_filters.CharFilter(method="search", label="Search")
    source = django_filters.ChoiceFilter(
        choices=[("JWO", "JWO")], empty_label="Any source", label="Order Source"
    )
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices, empty_label="Any status")
    store = django_filters.ModelChoiceFilter(queryset=Store.objects.all(), empty_label="All stores")
    # Days in the chosen store's zone (the rows show store time), else the console's zone.
    created_from = django_filters.DateFilter(method="by_day", label="Created from")
    created_to = django_filters.DateFilter(method="by_day", label="Created to")
    has_error = django_filters.BooleanFilter(method="by_error", label="Has an error")
    collected_short = django_filters.BooleanFilter(method="by_short", label="Collected short")
    preauth_expiring = django_filters.BooleanFilter(
        method="by_preauth_expiring", label="Pre-auth expiring"
    )
    # The home page's links: orders whose retry window closes within N hours, and orders by
    # the retry that recovered them.
    retry_closes_within = django_filters.NumberFilter(
        method="by_retry_window", label="Retry window closes within (hours)"
    )
    retries = django_filters.NumberFilter(field_name="retries", label="Payment retries made")
    sort = django_filters.ChoiceFilter(
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("total_desc", "Highest total"),
            ("total_asc", "Lowest total"),
        ],
        method="sorted_by",
        empty_label="Newest first",
    )

    class Meta:
        model = Order
        fields = [
            "q",
            "source",
            "status",
            "store",
            "created_from",
            "created_to",
            "has_error",
            "collected_short",
            "preauth_expiring",
        ]

    def by_day(self, queryset, name, value):
        """A day in each order's store's zone (the rows show store time): with a store chosen,
        its zone; across stores, each store's own day (one condition per zone in use)."""
        import zoneinfo
        from datetime import datetime, time

        from django.db.models import Q

        from stores.models import Store

        day = value + timedelta(days=1) if name == "created_to" else value
        lookup = "created_at__lt" if name == "created_to" else "created_at__gte"

        def bound(zone_name: str) -> datetime:
            return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(zone_name))

        store = self.form.cleaned_data.get("store")
        if store:
            return queryset.filter(**{lookup: bound(store.time_zone)})
        zones = Store.objects.order_by().values_list("time_zone", flat=True).distinct()
        condition = Q()
        for zone_name in zones:
            condition |= Q(store__time_zone=zone_name, **{lookup: bound(zone_name)})
        return queryset.filter(condition) if zones else queryset

    def by_retry_window(self, queryset, name, value):
        """Created between (window - value) and window hours ago: still retryable, not for long."""
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        if value is None or value <= 0:
            return queryset
        hours = settings.JWO_RETRY_WINDOW_HOURS
        window, within = timedelta(hours=hours), timedelta(hours=min(float(value), hours))
        now = timezone.now()
        return queryset.filter(created_at__gt=now - window, created_at__lte=now - window + within)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if PURCHASE_ID.match(value):
            return queryset.filter(purchase_id=value.upper())
        trips = Q(trip_id=value) | Q(amazon_shopper_id=value)
        shopper_ids = list(
            Shopper.objects.filter(Q(email__icontains=value) | Q(name__icontains=value))
            .order_by()
            .values_list("pk", flat=True)[:200]
        )
        if shopper_ids:
            trips |= Q(shopper_id__in=shopper_ids)
        self.matched_trips = ShoppingTrip.objects.filter(trips)
        return queryset.filter(trip__in=self.matched_trips.values("pk"))

    matched_trips = None

    def count_by_trips(self):
        """When a text search is the only filter, the trips it matched (one order each): the
        grid counts them through the trips' own indexes instead of walking the orders by date
        until enough match (a shopper with 100,000 trips: 1 ms instead of 60, bench/orders.py).
        None otherwise."""
        if self.matched_trips is None or not self.form.is_valid():
            return None
        others = {k: v for k, v in self.form.cleaned_data.items() if k not in ("q", "sort")}
        if any(v not in (None, "") for v in others.values()):
            return None
        return self.matched_trips.order_by()

    def by_error(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(error_message="") if value else queryset.filter(error_message="")

    def by_short(self, queryset, name, value):
        """Paid for less than the total: the rest is owed as store credit."""
        if value is None:
            return queryset
        return queryset.filter(store_credit_amount__gt=0) if value else queryset

    def by_preauth_expiring(self, queryset, name, value):
        """Not paid yet, and the gate's pre-auth lapses within JWO_PREAUTH_WARN_HOURS (its
        lifetime is a setting: Amazon's pages give none)."""
        if not value:
            return queryset
        hours = settings.JWO_PREAUTH_LIFETIME_HOURS - settings.JWO_PREAUTH_WARN_HOURS
        started_before = timezone.now() - timedelta(hours=hours)
        return queryset.exclude(status__in=[OrderStatus.PAID, OrderStatus.COMPLETED]).filter(
            trip__started_at__lte=started_before
        )

    def sorted_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["newest"]))
