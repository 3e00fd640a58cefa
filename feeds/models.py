"""Amazon's own records of the stores' orders: the intra-day CSV files
(feeds/intraday.py) and the EventBridge event feed (feeds/events.py). Raw input is kept as it
came; what the console
understood of it sits beside it, so that a row or an event can always be read again."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from jwo_console.models import BaseModel
from stores.models import Store

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class FileStatus(models.TextChoices):
    DOWNLOADED = "DOWNLOADED", "Downloaded (not loaded yet)"
    LOADED = "LOADED", "Loaded"
    LOADED_WITH_ERRORS = "PARTIAL", "Loaded, with bad rows"
    FAILED = "FAILED", "Not loaded"


class FileVia(models.TextChoices):
    NOTIFICATION = "SQS", "SQS notification"
    LISTING = "LISTING", "Bucket listing (fallback)"
    MANUAL = "MANUAL", "Loaded by hand"


class IntradayFile(BaseModel):
    """One object of Amazon's bucket, downloaded once: (bucket, key, ETag) is the key, so the
    same notification twice — or a notification and the listing fallback — load it once. The
    raw text is kept."""

    bucket = models.CharField(max_length=255)
    key = models.CharField(max_length=1024)
    etag = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    last_modified = models.DateTimeField(
        help_text="The object's LastModified: among files, the latest one wins."
    )
    received_via = models.CharField(max_length=10, choices=FileVia.choices)
    content = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=FileStatus.choices, default=FileStatus.DOWNLOADED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    unknown_columns = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_modified", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["bucket", "key", "etag"], name="intradayfile_once")
        ]

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class IntradayRowError(models.Model):
    """A row that could not be loaded, by file and row number (the header is row 1)."""

    file = models.ForeignKey(IntradayFile, on_delete=models.CASCADE, related_name="row_errors")
    row_no = models.PositiveIntegerField()
    message = models.CharField(max_length=1000)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["file", "row_no"]

    def __str__(self) -> str:
        return f"{self.file} row {self.row_no}: {self.message}"


INTRADAY_FIELDS = [
    ("trip_id", "Shopping trip / order id (required)"),
    ("store_id", "JWO store id (required)"),
    ("ordered_at", "Order time (required; ISO 8601 or epoch)"),
    ("status", "Order status"),
    ("currency", "Currency"),
    ("order_total", "Order total"),
    ("captured", "Captured amount"),
    ("refunded", "Refunded amount"),
    ("line_id", "Line id"),
    ("sku", "SKU"),
    ("quantity", "Quantity"),
    ("line_amount", "Line amount"),
    ("line_tax", "Line tax"),
    ("ignore", "Keep as an unknown column"),
]


class IntradayColumn(models.Model):
    """The column mapping, editable in the admin: a CSV header → what it means. Rows here add
    to (and override) settings.JWO_INTRADAY_COLUMNS; headers mapped nowhere are kept as unknown
    columns on each row."""

    header = models.CharField(max_length=200, unique=True)
    field = models.CharField(max_length=20, choices=INTRADAY_FIELDS)

    class Meta:
        ordering = ["header"]
        verbose_name = "intra-day column mapping"

    def __str__(self) -> str:
        return f"{self.header} → {self.field}"


class AmazonOrder(BaseModel):
    """Amazon's view of one order, upserted on (JWO store id, trip id) from every file it
    appears in; the latest file (``file_time``) wins."""

    jwo_store_id = models.CharField(max_length=255)
    trip_id = models.CharField(max_length=255)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="amazon_orders"
    )
    ordered_at = models.DateTimeField()
    status = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(**MONEY, null=True, blank=True)
    captured = models.DecimalField(**MONEY, null=True, blank=True)
    refunded = models.DecimalField(**MONEY, null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    file = models.ForeignKey(IntradayFile, null=True, on_delete=models.SET_NULL, related_name="+")
    file_time = models.DateTimeField()

    class Meta:
        ordering = ["-ordered_at"]
        constraints = [
            models.UniqueConstraint(fields=["jwo_store_id", "trip_id"], name="amazonorder_once")
        ]
        indexes = [models.Index(fields=["store", "ordered_at"], name="amazonorder_store_day_idx")]

    def __str__(self) -> str:
        return f"{self.jwo_store_id}/{self.trip_id}"


class AmazonOrderLine(models.Model):
    """One line of Amazon's order, upserted on (order, line id or SKU); the latest file wins."""

    order = models.ForeignKey(AmazonOrder, on_delete=models.CASCADE, related_name="lines")
    line_key = models.CharField(max_length=255)
    sku = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    tax = models.DecimalField(**MONEY, null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    file = models.ForeignKey(IntradayFile, null=True, on_delete=models.SET_NULL, related_name="+")
    row_no = models.PositiveIntegerField(default=0)
    file_time = models.DateTimeField()

    class Meta:
        ordering = ["order", "line_key"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_key"], name="amazonorderline_once")
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.line_key}"


class EventStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received (not processed yet)"
    PROCESSED = "PROCESSED", "Processed"
    TEST = "TEST", "Test event (never booked)"
    IGNORED = "IGNORED", "Not a CART or PAYMENT event"
    FAILED = "FAILED", "Failed (dead letter)"
    REJECTED = "REJECTED", "Rejected (malformed)"


class EventKind(models.TextChoices):
    CART = "CART", "Cart"
    PAYMENT = "PAYMENT", "Payment"
    OTHER = "OTHER", "Other"


DECLINE_SUBTYPES = {"AuthorizationDeclined", "CaptureDeclined"}


class FeedEvent(BaseModel):
    """One EventBridge event, stored before it is processed. ``event_id`` (the envelope's
    ``id``) is unique: a redelivery changes nothing. A malformed body is kept too, without an
    id, as REJECTED."""

    event_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    received_via = models.CharField(max_length=10, default="HTTP")  # HTTP or SQS
    source = models.CharField(max_length=255, blank=True)
    detail_type = models.CharField(max_length=255, blank=True)
    event_time = models.DateTimeField(null=True, blank=True)
    raw = models.TextField(help_text="The body as it came.")
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED, db_index=True
    )
    kind = models.CharField(max_length=10, choices=EventKind.choices, blank=True)
    subtype = models.CharField(max_length=60, blank=True)
    jwo_store_id = models.CharField(max_length=255, blank=True)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_events"
    )
    trip_id = models.CharField(max_length=255, blank=True, db_index=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    card_brand = models.CharField(max_length=30, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    mapped = models.JSONField(default=dict, blank=True, help_text="What the console read of it.")
    error = models.CharField(max_length=1000, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the store's contacts were e-mailed (a decline)."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("replay_feedevent", "Can replay a dead-lettered feed event")]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="RECEIVED"),
                name="feedevent_unprocessed_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.detail_type or 'event'} {self.event_id or '(no id)'} ({self.status})"


class StoreContact(BaseModel):
    """Who is e-mailed about a store's payment declines (and other reporting alerts)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    notify_declines = models.BooleanField("e-mail payment declines", default=True)

    class Meta:
        ordering = ["store", "email"]
        constraints = [models.UniqueConstraint(fields=["store", "email"], name="storecontact_once")]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.store})"
