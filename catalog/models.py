from django.conf import settings
from django.db import models
from django.db.models import F, Q

from jwo_console.models import BaseModel
from stores.models import Merchant, Store

from .choices import (
    BarcodeType,
    ImportStatus,
    SyncRunKind,
    SyncRunStatus,
    SyncRunTrigger,
    SyncState,
    UploadKind,
)

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class Item(BaseModel):
    """A product of the merchant's catalog. ``eligibility_error`` says why Amazon would refuse
    it (empty when it may be sent)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="items")
    sku = models.CharField("SKU", max_length=255)
    name = models.CharField(max_length=255, help_text="Prints on receipts: 1-100 characters.")
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=255, blank=True)
    category = models.CharField(max_length=255, blank=True, db_index=True)
    subcategory = models.CharField(max_length=255, blank=True)
    tax_code = models.CharField(max_length=255, blank=True)
    barcode = models.CharField(max_length=255, help_text="Kept as text: leading zeros matter.")
    barcode_type = models.CharField(max_length=10, choices=BarcodeType.choices)
    extra_barcodes = models.JSONField(
        default=list, blank=True, help_text="Up to 50 more: [{id, type}]"
    )
    eligibility_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["merchant", "sku"], name="item_unique_sku")]
        indexes = [models.Index(fields=["merchant", "name"])]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class StoreItem(BaseModel):
    """An entitlement: the store sells the item at this price. Carries the sync bookkeeping:
    ``content_hash`` of what we would send now, ``accepted_hash`` of what Amazon accepted."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="store_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="store_items")
    price = models.DecimalField(**MONEY)
    is_active = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=40, blank=True)
    accepted_hash = models.CharField(max_length=40, blank=True)
    sent_hash = models.CharField(max_length=40, blank=True)
    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.NEVER)
    rejection_reason = models.CharField(max_length=1000, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["store", "item"]
        constraints = [
            models.UniqueConstraint(fields=["store", "item"], name="storeitem_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="storeitem_price_not_negative"),
        ]
        indexes = [models.Index(fields=["store", "sync_state"])]

    def __str__(self) -> str:
        return f"{self.item.sku} @ {self.store}"

    @property
    def changed_since_sync(self) -> bool:
        return bool(self.accepted_hash) and self.accepted_hash != self.content_hash


def needs_sending() -> Q:
    """Entitlements whose current content Amazon has not accepted yet (new or changed)."""
    return Q(is_active=True, item__eligibility_error="") & ~Q(content_hash=F("accepted_hash"))


class CatalogSyncRun(BaseModel):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=10, choices=SyncRunKind.choices, default=SyncRunKind.CHANGES)
    trigger = models.CharField(
        max_length=10, choices=SyncRunTrigger.choices, default=SyncRunTrigger.MANUAL
    )
    status = models.CharField(
        max_length=10, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    items_to_send = models.PositiveIntegerField(default=0)
    items_sent = models.PositiveIntegerField(default=0)
    items_accepted = models.PositiveIntegerField(default=0)
    items_rejected = models.PositiveIntegerField(default=0)
    items_ineligible = models.PositiveIntegerField(default=0)
    items_archived = models.PositiveIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)
    batches_sent = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)
    log = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One run at a time per store: a second press of Sync Items joins the running one.
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(status__in=["QUEUED", "RUNNING"]),
                name="syncrun_one_active_per_store",
            )
        ]

    def __str__(self) -> str:
        return f"Sync {self.pk} of {self.store} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (SyncRunStatus.COMPLETED, SyncRunStatus.FAILED)


class CatalogUpload(BaseModel):
    """One UploadCatalog or ArchiveCatalog call and what came of it (kept: every ingestionId)."""

    run = models.ForeignKey(CatalogSyncRun, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=10, choices=UploadKind.choices, default=UploadKind.UPLOAD)
    batch_no = models.PositiveIntegerField(default=1)
    ingestion_id = models.CharField(max_length=255, unique=True)
    item_count = models.PositiveIntegerField()
    sent_hashes = models.JSONField(default=dict)  # {store_item_id: content hash sent}
    processing_status = models.CharField(max_length=20, default="INQUEUE")
    report_fetched_at = models.DateTimeField(null=True, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    result_source = models.CharField(max_length=20, blank=True)  # "notification" or "polling"
    last_polled_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["run", "batch_no"]

    def __str__(self) -> str:
        return f"{self.kind} {self.ingestion_id}"

    @property
    def has_result(self) -> bool:
        return self.report_fetched_at is not None


class CatalogSyncSchedule(BaseModel):
    """The merchant's periodic incremental sync of one store."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="sync_schedule")
    enabled = models.BooleanField(default=False)
    every_minutes = models.PositiveIntegerField(default=60)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.store}: every {self.every_minutes} min" if self.enabled else "off"


class CatalogImport(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    row_errors = models.JSONField(default=list, blank=True)  # [{row, sku, errors: [...]}]
    error = models.CharField(max_length=1000, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.file_name} ({self.get_status_display()})"
