import pytest
from django.core import mail

from alerts import services
from alerts.choices import AlertEventAction
from alerts.tasks import alert_notify_task
from tests import factories

pytestmark = pytest.mark.django_db


def test_webhook_gets_slack_json_once(webhook, django_capture_on_commit_callbacks):
    store = factories.JwoStoreMappingFactory(alert_emails="ops@shop.example").store
    with django_capture_on_commit_callbacks(execute=True):
        alert = services.alert_raise(
            kind="LOW_STOCK",
            key=f"store:{store.pk}:item:7",
            title="Cola 12oz: 2 on hand, reorder at 10",
            detail="Sold 40 in 7 days",
            store=store,
            severity="critical",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_raise(kind="LOW_STOCK", key=f"store:{store.pk}:item:7", title="again")
    assert len(webhook.requests) == 1
    request = webhook.requests[0]
    assert request["path"] == "/services/T000/B000/x"
    assert request["content_type"] == "application/json"
    assert request["json"] == {
        "text": f"[Critical] Low stock · {store.name}: Cola 12oz: 2 on hand, reorder at 10\n"
        "Sold 40 in 7 days"
    }
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.webhook_sent_at is not None
    assert alert.events.filter(action=AlertEventAction.WEBHOOK_SENT).count() == 1


def test_a_5xx_is_retried_without_mailing_twice(webhook, settings):
    settings.ALERT_EMAILS = ["oncall@shop.example"]
    webhook.statuses = [503]
    alert = services.alert_raise(kind="WORKER_STALE", key="w", title="stale")  # not notified yet
    with pytest.raises(OSError):
        alert_notify_task.run(alert.pk)  # the task body; Celery's autoretry turns this into a retry
    alert.refresh_from_db()
    assert alert.emailed_at is not None and alert.webhook_sent_at is None
    alert_notify_task.run(alert.pk)
    alert_notify_task.run(alert.pk)  # a duplicate delivery sends nothing
    assert len(mail.outbox) == 1
    assert len(webhook.requests) == 2
    alert.refresh_from_db()
    assert alert.webhook_sent_at is not None


def test_a_4xx_is_recorded_and_not_retried(webhook):
    webhook.statuses = [404]
    alert = services.alert_raise(kind="WORKER_STALE", key="w", title="stale")
    alert_notify_task.run(alert.pk)
    alert.refresh_from_db()
    assert "404" in alert.notify_error
    assert alert.events.filter(action=AlertEventAction.NOTIFY_FAILED).exists()
    alert_notify_task.run(alert.pk)
    assert len(webhook.requests) == 1


def test_unreachable_webhook_raises_for_retry(settings):
    settings.ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hook"  # discard port: connection refused
    alert = services.alert_raise(kind="WORKER_STALE", key="w", title="stale")
    with pytest.raises(OSError):
        alert_notify_task.run(alert.pk)
    alert.refresh_from_db()
    assert alert.webhook_sent_at is None
