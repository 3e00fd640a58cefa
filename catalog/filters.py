import django_filters
from django.db.models import F, Q

from catalog.choices import SyncState
from stores.models import Store

from .models import StoreItem

SYNC_CHOICES = [
    ("never", "Never synced"),
    ("pending", "Sent, awaiting Amazon"),
    ("in_sync", "In sync"),
    ("changed", "Changed since sync"),
    ("rejected", "Rejected by Amazon"),
    ("archived", "Archived"),
    ("ineligible", "Not eligible (not sent)"),
]


class StoreItemFilterSet(django_filters.FilterSet):
    """The Catalog grid's filters (one entitlement a row: an item in a store)."""

    q = django_filters.CharFilter(method="search", label="Search")
    store = django_filters.ModelChoiceFilter(queryset=Store.objects.all(), empty_label="All stores")
    category = django_filters.CharFilter(field_name="item__category", lookup_expr="iexact")
    sync = django_filters.ChoiceFilter(
        choices=SYNC_CHOICES, method="by_sync", label="Sync state", empty_label="Any sync state"
    )

    class Meta:
        model = StoreItem
        fields = ["q", "store", "category", "sync"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(item__sku__icontains=value) | Q(item__name__icontains=value) | Q(item__barcode=value)
        )

    def by_sync(self, queryset, name, value):
        eligible = Q(item__eligibility_error="")
        return {
            "never": queryset.filter(eligible, sync_state="NEVER"),
            "pending": queryset.filter(sync_state=SyncState.PENDING),
            "in_sync": queryset.filter(sync_state="ACCEPTED", content_hash=F("accepted_hash")),
            "changed": queryset.filter(sync_state="ACCEPTED").exclude(
                content_hash=F("accepted_hash")
            ),
            "rejected": queryset.filter(sync_state=SyncState.REJECTED),
            "archived": queryset.filter(sync_state="ARCHIVED"),
            "ineligible": queryset.exclude(eligible),
        }.get(value, queryset)
