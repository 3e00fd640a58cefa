from django.contrib import admin

from .models import ReconciliationItem, ReconciliationRun


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ["store", "day", "status", "matched", "missing_at_amazon", "missing_here",
                    "total_mismatch", "status_mismatch", "started_at"]  # fmt: skip
    list_filter = ["status", "store"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationItem)
class ReconciliationItemAdmin(admin.ModelAdmin):
    list_display = ["run", "kind", "trip_id", "ours", "amazons"]
    list_filter = ["kind"]
    search_fields = ["trip_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
