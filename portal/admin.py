from django.contrib import admin

from jwo_console.admin import ReadOnlyAdminMixin

from .models import ShopperEmail, SignInLink


@admin.register(SignInLink)
class SignInLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who asked for a link and whether it was used; the token itself is never stored."""

    list_display = ["email", "created_at", "expires_at", "used_at", "requested_ip"]
    search_fields = ["email"]
    exclude = ["token_hash"]


@admin.register(ShopperEmail)
class ShopperEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "to", "subject", "sent_at"]
    search_fields = ["key", "to"]
