from django.contrib import admin

from jwo_console.admin import ReadOnlyAdminMixin

from . import services
from .models import JwoStoreMapping, JwoStoreMappingChange, Merchant, Store, WebRegister


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "created_at"]
    search_fields = ["name", "code"]


class WebRegisterInline(admin.TabularInline):
    model = WebRegister
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "merchant", "time_zone", "currency", "city"]
    list_filter = ["merchant", "currency", "time_zone"]
    search_fields = ["name", "code", "city"]
    inlines = [WebRegisterInline]


@admin.register(WebRegister)
class WebRegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "store"]
    list_filter = ["store"]
    search_fields = ["name", "code", "store__name"]


@admin.register(JwoStoreMapping)
class JwoStoreMappingAdmin(admin.ModelAdmin):
    """Changes made here go through the same services, so they reach the audit trail too."""

    list_display = [
        "store",
        "jwo_store_id",
        "web_register",
        "loyalty_provider",
        "delegation_mode",
        "payment_mode",
        "fa_strategy",
        "is_active",
    ]
    list_filter = [
        "loyalty_provider",
        "delegation_mode",
        "payment_mode",
        "fa_strategy",
        "is_active",
    ]
    search_fields = ["jwo_store_id", "store__name"]
    list_select_related = ["store", "web_register"]

    def save_model(self, request, obj, form, change):
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f != "store"}
            services.jwo_store_mapping_update(mapping=obj, data=data, actor=request.user)
        else:
            fields = {f: form.cleaned_data[f] for f in services.MappingInput.__dataclass_fields__}
            [created] = services.jwo_store_mappings_create(
                rows=[services.MappingInput(**fields)], actor=request.user
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.jwo_store_mapping_delete(mapping=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for mapping in queryset:
            services.jwo_store_mapping_delete(mapping=mapping, actor=request.user)


@admin.register(JwoStoreMappingChange)
class JwoStoreMappingChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "action", "store", "actor"]
    list_filter = ["action", "store"]
    date_hierarchy = "created_at"
