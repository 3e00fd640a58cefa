"""The catalog: items, entitlements (StoreItem), sync runs, uploads, schedules, imports."""

from decimal import Decimal

import factory

from .stores import MerchantFactory, StoreFactory


def upc(n: int) -> str:
    """A valid UPC-A for number ``n`` (GS1 check digit), leading zeros kept."""
    body = f"{n:011d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Item"

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Acme Sparkling Water {n} 12oz")
    barcode = factory.Sequence(lambda n: upc(100000 + n))
    barcode_type = "UPC"
    category = "Drinks"


def entitle(store, item, price="1.99", active=True):
    """An entitlement through the service, so its content hash is right."""
    from catalog.services import store_item_set

    return store_item_set(item=item, store=store, price=Decimal(price), is_active=active)


class StoreItemFactory(factory.django.DjangoModelFactory):
    """A bare entitlement row; ``entitle`` goes through the service (content hash right)."""

    class Meta:
        model = "catalog.StoreItem"

    store = factory.SubFactory(StoreFactory)
    item = factory.SubFactory(ItemFactory, merchant=factory.SelfAttribute("..store.merchant"))
    price = Decimal("1.99")


class CatalogSyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.CatalogSyncRun"

    store = factory.SubFactory(StoreFactory)


class CatalogUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.CatalogUpload"

    run = factory.SubFactory(CatalogSyncRunFactory)
    ingestion_id = factory.Sequence(lambda n: f"ingestion-{n:06d}")
    item_count = 1


class CatalogSyncScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.CatalogSyncSchedule"
        django_get_or_create = ("store",)

    store = factory.SubFactory(StoreFactory)


class CatalogImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.CatalogImport"

    merchant = factory.SubFactory(MerchantFactory)
    file_name = "items.csv"
    file_path = factory.Sequence(lambda n: f"imports/items-{n}.csv")
