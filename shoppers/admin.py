from django.contrib import admin, messages

from jwo_console.admin import ReadOnlyAdminMixin

from .models import AppScanKey, GateDecision, LedgerEntry, Shopper
from .services import shopper_app_token_issue


@admin.register(Shopper)
class ShopperAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "kind", "is_flagged", "public_id"]
    list_filter = ["kind", "is_flagged"]
    search_fields = ["email", "name"]
    readonly_fields = ["public_id", "app_token_hash"]
    actions = ["issue_app_token"]

    @admin.action(description="Issue a new app token (shown once)")
    def issue_app_token(self, request, queryset):
        for shopper in queryset:
            token = shopper_app_token_issue(shopper=shopper)
            self.message_user(request, f"{shopper.email}: {token}", messages.WARNING)


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["decided_at", "jwo_store_id", "entry", "shopper", "admitted", "reason"]
    list_filter = ["admitted", "reason", "entry", "jwo_store_id"]
    search_fields = ["auth_event_id", "shopper__email"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "shopper", "kind", "amount", "currency", "trip_id"]
    list_filter = ["kind"]
    search_fields = ["shopper__email", "trip_id"]


@admin.register(AppScanKey)
class AppScanKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["issued_at", "shopper"]
    search_fields = ["shopper__email"]
