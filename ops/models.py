from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from jwo_console.models import BaseModel


class AlertThresholds(BaseModel):
    """A store's alert thresholds (ops/rules.py). A store without a row uses the defaults."""

    store = models.OneToOneField(
        "stores.Store", on_delete=models.CASCADE, related_name="alert_thresholds"
    )
    orders_in_error_max = models.PositiveIntegerField(
        "orders in ERROR above",
        default=5,
        help_text="Alert when more orders than this are in ERROR.",
    )
    payment_pending_minutes = models.PositiveIntegerField(
        "payment PENDING for more than (minutes)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)],
        help_text="Alert when Amazon has answered PENDING to an order's payment for this long.",
    )
    preauth_warn_hours = models.PositiveIntegerField(
        "pre-auth expires within (hours)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="Alert when an unpaid order's pre-auth lapses within this many hours.",
    )
    catalog_rejected_max = models.PositiveIntegerField(
        "rejected catalog items above",
        default=0,
        help_text="Alert when the latest catalog sync had more rejected items than this.",
    )
    connector_5xx_max = models.PositiveIntegerField(
        "connector 5xx answers above",
        default=0,
        help_text="Alert when the connector answered 5xx more often than this in the window.",
    )
    connector_window_minutes = models.PositiveIntegerField(
        "connector window (minutes)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )

    class Meta:
        verbose_name = "alert thresholds"
        verbose_name_plural = "alert thresholds"

    def __str__(self) -> str:
        return f"Alert thresholds of {self.store}"
