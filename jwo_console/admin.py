from django.contrib import admin

from .models import AmazonApiCall, WorkerHeartbeat


class ReadOnlyAdminMixin:
    """For logs and audit trails: visible to staff, never edited or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["worker", "last_seen_at", "beats"]


@admin.register(AmazonApiCall)
class AmazonApiCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "service",
        "operation",
        "store_id",
        "trip_id",
        "attempt",
        "http_status",
        "duration_ms",
        "error",
    ]
    list_filter = ["service", "operation", "http_status"]
    search_fields = ["trip_id", "store_id", "operation", "error"]
    date_hierarchy = "started_at"
