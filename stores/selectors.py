"""Reads of stores and their JWO mappings. The mapping is looked up here and nowhere else:
``mapping_for_store`` (or ``store_settings`` where an unmapped store behaves as the model's
defaults), ``active_mapping`` for an Amazon store id (cached), ``current_merchant``."""

import time

from django.db.models import QuerySet

from jwo_console.compiledsql import Compiled

from .models import JwoStoreMapping, JwoStoreMappingChange, Merchant, Store, WebRegister

_MAPPINGS: dict[str, tuple[float, JwoStoreMapping | None]] = {}
MAPPING_CACHE_SECONDS = 10.0


def current_merchant(user) -> Merchant | None:
    """The merchant the console serves (one retailer per installation; the first one)."""
    return Merchant.objects.order_by("pk").first()


def mapping_for_store(*, store: Store | int, active_only: bool = False) -> JwoStoreMapping | None:
    """The store's JWO mapping (``store`` a store or its pk), or None when it has none (or, with
    ``active_only``, when it is paused)."""
    store_id = store if isinstance(store, int) else store.pk
    return (_ACTIVE_MAPPING_OF_STORE if active_only else _MAPPING_OF_STORE).first(store_id)


def _first_mapping(store_id: int, active_only: bool):
    mappings = JwoStoreMapping.objects.filter(store_id=store_id)
    if active_only:
        mappings = mappings.filter(is_active=True)
    return (mappings if mappings.ordered else mappings.order_by("pk"))[:1]  # as .first()


# Every order priced and paid asks for its store's settings: compiled once per connection.
_MAPPING_OF_STORE = Compiled(lambda store_id: _first_mapping(store_id, False))
_ACTIVE_MAPPING_OF_STORE = Compiled(lambda store_id: _first_mapping(store_id, True))


def store_settings(*, store: Store | int) -> JwoStoreMapping:
    """The store's settings: its mapping or, for a store not mapped, an unsaved mapping holding
    the model's defaults (Payment Service, no auto-approved refunds, stock by order, the
    house-wide alert e-mails) — so no caller keeps its own copy of a default."""
    mapping = mapping_for_store(store=store)
    if mapping is None:
        mapping = JwoStoreMapping(store_id=store if isinstance(store, int) else store.pk)
    return mapping


def mapping_for_jwo_store(jwo_store_id: str) -> JwoStoreMapping | None:
    """The mapping of an Amazon store id, active or paused, uncached."""
    return JwoStoreMapping.objects.filter(jwo_store_id=jwo_store_id).first()


def active_mapping(jwo_store_id: str) -> JwoStoreMapping | None:
    """The active mapping of a JWO store id, cached for a few seconds per process: every call at
    the gate needs it, and a mapping changes rarely (a change is seen at once in this process —
    stores/apps.py clears the cache on save — and within 10 s in the others)."""
    now = time.monotonic()
    cached = _MAPPINGS.get(jwo_store_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    mapping = (
        JwoStoreMapping.objects.select_related("store")
        .filter(jwo_store_id=jwo_store_id, is_active=True)
        .first()
    )
    if len(_MAPPINGS) > 10_000:
        _MAPPINGS.clear()
    _MAPPINGS[jwo_store_id] = (now + MAPPING_CACHE_SECONDS, mapping)
    return mapping


def mapping_cache_clear(**_kwargs) -> None:
    _MAPPINGS.clear()  # the id itself may have changed: forget every entry


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
