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


def skus_still_missing(*, store: Store, skus: list[str]) -> list[tuple[str, int | None]]:
    """Of ``skus`` (those a failed pricing named), the ones the store still cannot sell, each
    with the merchant's item id when the item exists but is not sold in this store (None when
    the catalog lacks it): what the order page offers to fix before a Retry."""
    from .models import Item

    if not skus:
        return []
    items = dict(
        Item.objects.filter(merchant_id=store.merchant_id, sku__in=skus).values_list("sku", "pk")
    )
    sold = set(
        StoreItem.objects.filter(store=store, is_active=True, item__sku__in=skus).values_list(
            "item__sku", flat=True
        )
    )
    return [(sku, items.get(sku)) for sku in skus if sku not in sold]
