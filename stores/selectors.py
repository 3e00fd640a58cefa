from django.db.models import QuerySet

from .models import JwoStoreMapping, JwoStoreMappingChange, Store, WebRegister


def jwo_store_mapping_list() -> QuerySet[JwoStoreMapping]:
    return JwoStoreMapping.objects.select_related("store", "web_register").order_by("store__name")


def stores_unmapped() -> QuerySet[Store]:
    """Stores without a JWO mapping: the only ones the + row offers."""
    return Store.objects.filter(jwo_mapping__isnull=True).order_by("name")


def web_registers_for_stores(stores: QuerySet[Store]) -> QuerySet[WebRegister]:
    return WebRegister.objects.filter(store__in=stores).select_related("store")


def jwo_store_mapping_changes() -> QuerySet[JwoStoreMappingChange]:
    """The audit trail, newest first."""
    return JwoStoreMappingChange.objects.select_related("store", "actor").order_by(
        "-created_at", "-pk"
    )
