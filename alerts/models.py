from django.conf import settings
from django.db import models
from django.db.models import Q

from jwo_console.models import BaseModel

from .choices import AlertEventAction, AlertKind, AlertSeverity, AlertStatus


class Alert(BaseModel):
    """Something an operator should look at. One unresolved alert per (kind, key): raising it
    again while it is open bumps ``occurrences`` and ``last_seen_at`` instead of a new row."""

    kind = models.CharField(max_length=50, db_index=True)  # AlertKind, extensible (no choices)
    key = models.CharField(max_length=200, help_text="De-duplication key within the kind.")
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    severity = models.CharField(
        max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.WARNING
    )
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    status = models.CharField(
        max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Notifications, sent once when the alert opens (claimed before sending, see services).
    emailed_at = models.DateTimeField(null=True, blank=True)
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        permissions = [("acknowledge_alert", "Can acknowledge alerts")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=~Q(status=AlertStatus.RESOLVED),
                name="alert_one_unresolved_per_kind_key",
            )
        ]
        indexes = [models.Index(fields=["status", "-last_seen_at"], name="alert_status_seen")]

    def __str__(self) -> str:
        return f"{self.kind_label}: {self.title}"

    @property
    def order_id(self) -> int | None:
        """The order an alert is about, from its key (``order:<pk>``: ops/rules.py,
        payments/finish.py); None for any other alert."""
        prefix, _, rest = self.key.partition(":")
        if prefix == "order" and rest.isascii() and rest.isdigit() and len(rest) < 19:
            return int(rest)
        return None

    @property
    def kind_label(self) -> str:
        try:
            return AlertKind(self.kind).label
        except ValueError:
            return self.kind

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.RESOLVED


class AlertEvent(models.Model):
    """Append-only history of an alert: opened, acknowledged (by whom), resolved, notified."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=AlertEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.alert_id} by {self.actor or 'system'}"
