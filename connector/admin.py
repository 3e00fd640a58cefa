from django.contrib import admin, messages
from django.test import RequestFactory

from jwo_console.admin import ReadOnlyAdminMixin

from .models import ConnectorRequest


@admin.register(ConnectorRequest)
class ConnectorRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every call Amazon made, read-only, with a replay action (the stored body sent through the
    same endpoint again: a duplicate gets the original answer, a failed one is processed anew)."""

    list_display = [
        "received_at",
        "endpoint",
        "method",
        "store_id",
        "status",
        "response_status",
        "body_size",
        "duration_ms",
    ]
    list_filter = ["endpoint", "status", "response_status"]
    search_fields = ["request_id", "dedupe_key", "store_id"]
    actions = ["replay"]

    @admin.action(description="Replay the selected requests")
    def replay(self, request, queryset):
        from django.conf import settings

        from .views import VIEWS

        factory = RequestFactory()
        for original in queryset:
            view = VIEWS.get(original.endpoint)
            if view is None:
                self.message_user(request, f"{original.endpoint}: no endpoint yet", messages.ERROR)
                continue
            replayed = factory.post(
                "/replay",
                data=original.body.encode(),
                content_type="application/json",
                HTTP_X_JWO_CONNECTOR_SECRET=settings.JWO_CONNECTOR_SECRET,
            )
            response = view(replayed, replay_of=original)
            self.message_user(request, f"#{original.pk} replayed: HTTP {response.status_code}")
