from django.db.models import QuerySet

from stores.models import Store

from .models import CatalogSyncRun, StoreItem


def store_items_for_grid() -> QuerySet[StoreItem]:
    return StoreItem.objects.select_related("item", "store").order_by("item__sku", "store__name")


def sync_runs(*, store: Store | None = None) -> QuerySet[CatalogSyncRun]:
    qs = CatalogSyncRun.objects.select_related("store", "requested_by")
    return qs.filter(store=store) if store else qs


def categories() -> list[str]:
    return list(
        StoreItem.objects.exclude(item__category="")
        .order_by("item__category")
        .values_list("item__category", flat=True)
        .distinct()
    )
