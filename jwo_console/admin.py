from django.contrib import admin

from .models import WorkerHeartbeat


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
