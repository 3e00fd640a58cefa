"""Thin Celery wrapper: an alert id in, one service call."""

from celery import shared_task


@shared_task(
    name="alerts.tasks.alert_notify_task",
    autoretry_for=(OSError,),
    max_retries=6,
    retry_backoff=True,
    retry_jitter=True,
)
def alert_notify_task(alert_id: int) -> None:
    from .services import alert_notify

    alert_notify(alert_id=alert_id)
