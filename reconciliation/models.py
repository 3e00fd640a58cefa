from django.conf import settings
from django.db import models

from feeds.models import AmazonOrder
from orders.models import Order
from stores.models import Store


class RunTrigger(models.TextChoices):
    SCHEDULE = "SCHEDULE", "Daily run (beat)"
    MANUAL = "MANUAL", "On demand"


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class MismatchKind(models.TextChoices):
    MISSING_AT_AMAZON = "MISSING_AT_AMAZON", "Missing at Amazon"
    MISSING_HERE = "MISSING_HERE", "Missing here"
    TOTAL = "TOTAL", "Total differs"
    CAPTURED = "CAPTURED", "Captured differs"
    REFUNDED = "REFUNDED", "Refunded differs"
    STATUS = "STATUS", "Status differs"


# The counter field of each kind on the run.
KIND_FIELDS = {
    MismatchKind.MISSING_AT_AMAZON: "missing_at_amazon",
    MismatchKind.MISSING_HERE: "missing_here",
    MismatchKind.TOTAL: "total_mismatch",
    MismatchKind.CAPTURED: "captured_mismatch",
    MismatchKind.REFUNDED: "refunded_mismatch",
    MismatchKind.STATUS: "status_mismatch",
}


class ReconciliationRun(models.Model):
    """One reconciliation of a store's day (the store's time zone), kept with its result. The
    newest run of a (store, day) is the day's state; older ones stay as history."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reconciliation_runs")
    day = models.DateField(help_text="The day in the store's time zone.")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    day_closed = models.BooleanField(
        default=True, help_text="False when the run was made before the day (and its files) ended."
    )
    ours = models.PositiveIntegerField("our orders", default=0)
    amazons = models.PositiveIntegerField("Amazon's orders", default=0)
    matched = models.PositiveIntegerField(default=0)
    missing_at_amazon = models.PositiveIntegerField(default=0)
    missing_here = models.PositiveIntegerField(default=0)
    total_mismatch = models.PositiveIntegerField(default=0)
    captured_mismatch = models.PositiveIntegerField(default=0)
    refunded_mismatch = models.PositiveIntegerField(default=0)
    status_mismatch = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-day", "store__name", "-started_at"]
        indexes = [models.Index(fields=["store", "day", "-started_at"], name="recon_store_day_idx")]

    def __str__(self) -> str:
        return f"Reconciliation of {self.store} on {self.day} ({self.status})"

    @property
    def mismatches(self) -> int:
        return sum(getattr(self, name) for name in KIND_FIELDS.values())

    def counts(self) -> list[tuple[str, str, int]]:
        return [(kind, kind.label, getattr(self, name)) for kind, name in KIND_FIELDS.items()]


class ReconciliationItem(models.Model):
    """One mismatch of a run (matched orders are counted, not listed)."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=MismatchKind.choices)
    trip_id = models.CharField(max_length=255)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amazon_order = models.ForeignKey(
        AmazonOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ours = models.CharField(max_length=100, blank=True)
    amazons = models.CharField("Amazon's", max_length=100, blank=True)

    class Meta:
        ordering = ["run", "kind", "trip_id"]
        indexes = [models.Index(fields=["run", "kind"], name="recon_item_run_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.trip_id}"
