from django.contrib import admin

from .models import Alert, AlertEvent


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "detail", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "store", "severity", "status", "occurrences", "last_seen_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["key", "title"]
    inlines = [AlertEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # acknowledge on the Alerts page, so it is audited

    def has_add_permission(self, request) -> bool:
        return False
