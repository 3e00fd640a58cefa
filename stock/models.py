from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jwo_console.models import BaseModel

from .choices import MovementKind

QUANTITY = {"max_digits": 14, "decimal_places": 4}  # Decimal: weighed items (lb, kg) work


class StockLevel(BaseModel):
    """On hand of one item in one store (one entitlement). Derived from the movements and kept
    in step with them in the same transaction: every change of ``on_hand`` writes a
    ``StockMovement`` whose ``on_hand_after`` is this row's value after it."""

    store_item = models.OneToOneField(
        "catalog.StoreItem", on_delete=models.CASCADE, related_name="stock"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    on_hand = models.DecimalField(**QUANTITY, default=0)
    reorder_point = models.DecimalField(
        **QUANTITY,
        null=True,
        blank=True,
        help_text="Alert when on hand falls below this. Blank: alert only below zero.",
    )
    last_counted_at = models.DateTimeField(null=True, blank=True)
    last_movement_at = models.DateTimeField(null=True, blank=True)
    # Not indexed (BaseModel's is): every sale updates this row, and an update that touches no
    # indexed column stays on its page without index writes (PostgreSQL's HOT update; the
    # table's fillfactor leaves the room, migration 0002).
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_item_id"]
        permissions = [("count_stock", "Can count, adjust and import stock")]

    def __str__(self) -> str:
        return f"{self.store_item_id}: {self.on_hand}"


class StockMovement(models.Model):
    """Append-only ledger: one row per change of a stock level, signed ``quantity``.

    ``ref`` names what caused it, and (ref, store item, kind) is unique where ref is set, which
    is what makes depletion idempotent: a JWO sale's ref is its trip (``trip_ref``), so the
    priced order and Amazon's CART event (whichever is the store's source) can take a trip's
    item out of stock once, and re-pricing or a retry cannot take it twice.
    """

    # Few indexes and constraints: every JWO sale inserts here inside the pricing transaction,
    # and each foreign key is checked at its commit. The (store_item, created_at) index serves
    # the history, the sales sums and the foreign key. ``store`` is the store item's store,
    # copied for the store's queries: no constraint of its own (the store item's holds it).
    # ``order`` is the order being priced in the same transaction, which exists; no
    # constraint either (an order is never deleted: it is a financial record).
    store_item = models.ForeignKey(
        "catalog.StoreItem",
        on_delete=models.CASCADE,
        related_name="stock_movements",
        db_index=False,
    )
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    quantity = models.DecimalField(**QUANTITY)
    on_hand_after = models.DecimalField(**QUANTITY)
    ref = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed for refund returns only (Meta): sales do not pay for it
        db_constraint=False,
    )
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ref", "store_item", "kind"],
                condition=~Q(ref=""),
                name="stockmovement_once_per_ref",
            )
        ]
        indexes = [
            models.Index(fields=["store_item", "created_at"], name="stockmove_item_time"),
            # What an order's refunds returned already (stock/sales.py stock_return_for_refund).
            models.Index(
                fields=["order"],
                condition=Q(kind=MovementKind.REFUND_RETURN),
                name="stockmove_order_returns",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} of {self.store_item_id}"


class StockImport(models.Model):
    """One CSV import of counts: who, when, what came of each row."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_counted = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    # rows exactly as the export wrote them, nothing changed since: not counted (stock/csvio.py)
    rows_unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "sku", "problems"}]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows_counted} counted)"
