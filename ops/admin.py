from django.contrib import admin

from .models import AlertThresholds


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(admin.ModelAdmin):
    list_display = (
        "store",
        "orders_in_error_max",
        "payment_pending_minutes",
        "preauth_warn_hours",
        "catalog_rejected_max",
        "connector_5xx_max",
        "connector_window_minutes",
    )
    list_select_related = ("store",)
