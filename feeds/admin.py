from django.contrib import admin, messages

from .events import feed_event_replay
from .intraday import intraday_file_load
from .models import (
    AmazonOrder,
    AmazonOrderLine,
    FeedEvent,
    IntradayColumn,
    IntradayFile,
    IntradayRowError,
    StoreContact,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RowErrorInline(admin.TabularInline):
    model = IntradayRowError
    extra = 0
    can_delete = False
    readonly_fields = ["row_no", "message", "raw"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(IntradayFile)
class IntradayFileAdmin(ReadOnly):
    list_display = ["key", "status", "rows_total", "rows_bad", "received_via", "last_modified"]
    list_filter = ["status", "received_via"]
    search_fields = ["key", "etag"]
    inlines = [RowErrorInline]
    actions = ["load_again"]

    @admin.action(description="Load again (after changing the column mapping)")
    def load_again(self, request, queryset):
        for file in queryset:
            intraday_file_load(file=file)
        self.message_user(request, f"{queryset.count()} file(s) loaded again.")


@admin.register(IntradayColumn)
class IntradayColumnAdmin(admin.ModelAdmin):
    list_display = ["header", "field"]


class LineInline(admin.TabularInline):
    model = AmazonOrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["line_key", "sku", "quantity", "amount", "tax", "extra", "file", "row_no"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AmazonOrder)
class AmazonOrderAdmin(ReadOnly):
    list_display = ["trip_id", "jwo_store_id", "ordered_at", "status", "total", "captured"]
    search_fields = ["trip_id"]
    list_filter = ["status"]
    inlines = [LineInline]


@admin.register(FeedEvent)
class FeedEventAdmin(ReadOnly):
    list_display = ["event_id", "detail_type", "status", "kind", "subtype", "trip_id", "created_at"]
    list_filter = ["status", "kind", "received_via"]
    search_fields = ["event_id", "trip_id"]
    actions = ["replay"]

    @admin.action(description="Replay (process again)", permissions=["replay"])
    def replay(self, request, queryset):
        results = [feed_event_replay(event=e).status for e in queryset]
        self.message_user(request, f"Replayed {len(results)}: {', '.join(results)}", messages.INFO)

    def has_replay_permission(self, request):
        return request.user.has_perm("feeds.replay_feedevent")


@admin.register(StoreContact)
class StoreContactAdmin(admin.ModelAdmin):
    list_display = ["store", "email", "name", "notify_declines"]
    list_filter = ["store"]
