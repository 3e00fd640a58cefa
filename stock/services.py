"""Every change of stock: JWO sales, what comes back (unpaid orders, refunds), counts,
adjustments, receipts and CSV imports. Each writes a ``StockMovement`` and moves the
``StockLevel`` in the same transaction, by an atomic increment (no lost update under concurrent
orders; rows are touched in store-item order, so two orders never deadlock on each other).

The public surface: every name below is defined in ``movements.py`` (the one way on hand
changes, low stock, counts), ``sales.py`` (JWO sales and what comes back) or ``csvio.py``
(CSV in and out). Entry points other apps call (one line each, see orders/services.py and
payments/services.py):

- ``stock_deplete_for_order(order=)`` inside the pricing transaction, where the order becomes
  PRICED; it does nothing when the store's ``stock_source`` is Amazon's CART event.
- ``stock_deplete_for_cart_event(...)`` for the event feed, when ``stock_source`` is CART_EVENT.
- ``stock_restore_for_order(order=, reason=)`` when an order ends unpaid (``stock/tasks.py``
  sweeps orders whose retry window closed with nothing captured).
- ``stock_return_for_refund(refund=)`` when a refund of lines becomes REFUNDED.

A sale's movements carry the trip as ``ref`` (``trip_ref``), whichever source made them, so
(trip, item, JWO_SALE) is unique: re-pricing, a retry or the other source cannot deplete twice.
Negative stock is allowed (shoppers take what is on the shelf) and flagged, never blocking.
"""

from .csvio import (
    EXPORT_COLUMNS,
    IMPORT_COLUMNS,
    csv_safe,
    stock_export_rows,
    stock_import_counts,
)
from .models import StockImport, StockLevel, StockMovement
from .movements import (
    IMPORT_CHUNK,
    IMPORT_MAX_ROWS,
    MAX_QUANTITY,
    QUANT,
    SOURCE_CACHE_SECONDS,
    StockInputError,
    low_stock_key,
    parse_quantity,
    quantity_text,
    stock_adjust,
    stock_count,
    stock_reorder_point_set,
    stock_source_cache_clear,
    stock_source_for,
    trip_ref,
)
from .sales import (
    stock_deplete_for_cart_event,
    stock_deplete_for_order,
    stock_restore_for_order,
    stock_return_for_refund,
    stock_unpaid_restore_sweep,
)

__all__ = [
    "EXPORT_COLUMNS",
    "IMPORT_CHUNK",
    "IMPORT_COLUMNS",
    "IMPORT_MAX_ROWS",
    "MAX_QUANTITY",
    "QUANT",
    "SOURCE_CACHE_SECONDS",
    "StockImport",
    "StockInputError",
    "StockLevel",
    "StockMovement",
    "csv_safe",
    "low_stock_key",
    "parse_quantity",
    "quantity_text",
    "stock_adjust",
    "stock_count",
    "stock_deplete_for_cart_event",
    "stock_deplete_for_order",
    "stock_export_rows",
    "stock_import_counts",
    "stock_reorder_point_set",
    "stock_restore_for_order",
    "stock_return_for_refund",
    "stock_source_cache_clear",
    "stock_source_for",
    "stock_unpaid_restore_sweep",
    "trip_ref",
]
