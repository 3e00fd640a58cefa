from django.contrib import admin

from .models import ConnectivityRun


@admin.register(ConnectivityRun)
class ConnectivityRunAdmin(admin.ModelAdmin):
    """Read-only: runs are made by Run test (Settings → Integrations → Just Walk Out)."""

    list_display = ("store", "status", "requested_by", "created_at", "finished_at")
    list_filter = ("status", "store")
    readonly_fields = [f.name for f in ConnectivityRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
