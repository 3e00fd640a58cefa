"""Alerts (alerts/services.py) and health (/healthz)."""

from .environment import env

# Who is e-mailed about an alert whose store has no alert e-mails (and house-wide ones), and a
# Slack-compatible incoming webhook that gets {"text": ...} when an alert opens.
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[])
ALERT_WEBHOOK_URL = env("ALERT_WEBHOOK_URL", default="")

# --- Health -----------------------------------------------------------------------------------
HEALTH_BROKER_TIMEOUT_SECONDS = 3
HEALTH_WORKER_STALE_AFTER_SECONDS = 5 * 60
