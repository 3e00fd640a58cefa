from django.conf import settings
from django.db import models

from stores.models import Store

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class OrderHourStats(models.Model):
    """JWO orders rolled up per store, creation hour (UTC), status and retries made — what the
    home page sums instead of scanning a month of orders. Refreshed by beat (dashboard/stats.py):
    every minute for the last 49 hours (statuses change inside the 48 h retry window), every hour
    for the last 32 days (refunds)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    status = models.CharField(max_length=12)
    retries = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField()
    captured_orders = models.PositiveIntegerField(help_text="Orders with something captured.")
    captured = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "hour", "status", "retries", "currency"], name="orderhour_once"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="orderhour_hour_idx")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.hour:%Y-%m-%d %H}h {self.status} r{self.retries}"


class OrderStatsWatermark(models.Model):
    """Up to when (exclusive) the rollup is complete; orders after it are counted live."""

    name = models.CharField(max_length=20, unique=True, default="orders")
    until = models.DateTimeField()
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} until {self.until:%Y-%m-%d %H:%M}"
