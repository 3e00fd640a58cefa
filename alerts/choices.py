from django.db import models


class AlertKind(models.TextChoices):
    """What an alert is about. Extensible: ``Alert.kind`` has no database choices, so a feature
    may raise a kind not listed here (it shows as its code) and add it here when it likes."""

    LOW_STOCK = "LOW_STOCK", "Low stock"
    ORDERS_IN_ERROR = "ORDERS_IN_ERROR", "Orders in error"
    PAYMENT_REVIEW = "PAYMENT_REVIEW", "Payment outcome needs review"
    PAYMENT_PENDING_TOO_LONG = "PAYMENT_PENDING_TOO_LONG", "Payment pending too long"
    PREAUTH_NEAR_EXPIRY = "PREAUTH_NEAR_EXPIRY", "Pre-auth near expiry"
    CATALOG_SYNC_FAILED = "CATALOG_SYNC_FAILED", "Catalog sync failed"
    CATALOG_ITEMS_REJECTED = "CATALOG_ITEMS_REJECTED", "Catalog items rejected"
    CONNECTOR_5XX = "CONNECTOR_5XX", "Connector errors (5xx)"
    WORKER_STALE = "WORKER_STALE", "Worker heartbeat stale"
    RECONCILIATION_MISMATCH = "RECONCILIATION_MISMATCH", "Reconciliation mismatch"


class AlertSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
    RESOLVED = "RESOLVED", "Resolved"


UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class AlertEventAction(models.TextChoices):
    OPENED = "OPENED", "Opened"
    ESCALATED = "ESCALATED", "Severity raised"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
    RESOLVED = "RESOLVED", "Resolved"
    EMAILED = "EMAILED", "E-mailed"
    WEBHOOK_SENT = "WEBHOOK_SENT", "Sent to the webhook"
    NOTIFY_FAILED = "NOTIFY_FAILED", "Notification failed"
    NO_RECIPIENTS = "NO_RECIPIENTS", "Not e-mailed"
