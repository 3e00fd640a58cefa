from django.contrib import admin

from jwo_console.admin import ReadOnlyAdminMixin

from .models import Order, OrderEvent, OrderLine, Promotion, ShoppingTrip, TaxRate


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    extra = 0


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "purchase_id",
        "store",
        "status",
        "error_message",
        "total",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "source", "store"]
    search_fields = ["purchase_id", "trip__trip_id"]
    inlines = [OrderLineInline, OrderEventInline]


@admin.register(ShoppingTrip)
class ShoppingTripAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["trip_id", "jwo_store_id", "entry_method", "shopper", "ended_at"]
    search_fields = ["trip_id"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["store", "tax_code", "rate"]
    list_filter = ["store"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "sku",
        "category",
        "percent",
        "amount",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
