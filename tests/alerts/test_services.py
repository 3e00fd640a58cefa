import pytest
from django.core import mail
from django.db import transaction

from alerts import services
from alerts.choices import AlertEventAction, AlertStatus
from alerts.models import Alert
from jwo_console.exceptions import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    mapping = factories.JwoStoreMappingFactory(alert_emails="ops@shop.example, lead@shop.example")
    return mapping.store


def _raise(store=None, **kw):
    args = {"kind": "LOW_STOCK", "key": "store:1:item:2", "title": "Cola is low", "store": store}
    return services.alert_raise(**{**args, **kw})


def test_raising_again_while_open_bumps_the_same_alert(store):
    first = _raise(store)
    again = _raise(store, detail="on hand 1", title="Cola is lower")
    assert again.pk == first.pk
    assert again.occurrences == 2
    assert again.title == "Cola is lower" and again.detail == "on hand 1"
    assert again.last_seen_at >= first.last_seen_at
    assert Alert.objects.count() == 1


def test_acknowledged_alert_is_still_deduplicated(store, merchant):
    alert = _raise(store)
    services.alert_acknowledge(alert=alert, actor=merchant)
    again = _raise(store)
    assert again.pk == alert.pk
    assert again.status == AlertStatus.ACKNOWLEDGED
    assert again.occurrences == 2


def test_after_resolving_the_next_raise_opens_a_new_alert(store):
    first = _raise(store)
    assert services.alert_resolve(kind="LOW_STOCK", key="store:1:item:2") == 1
    assert services.alert_resolve(kind="LOW_STOCK", key="store:1:item:2") == 0
    first.refresh_from_db()
    assert first.status == AlertStatus.RESOLVED and first.resolved_at is not None
    second = _raise(store)
    assert second.pk != first.pk and second.status == AlertStatus.OPEN
    assert list(first.events.values_list("action", flat=True)) == [
        AlertEventAction.RESOLVED,
        AlertEventAction.OPENED,
    ]


def test_different_keys_are_different_alerts(store):
    a = _raise(store)
    b = _raise(store, key="store:1:item:3")
    c = _raise(store, kind="ORDERS_IN_ERROR")
    assert len({a.pk, b.pk, c.pk}) == 3


def test_the_database_refuses_a_second_unresolved_alert(store):
    from django.db import IntegrityError
    from django.utils import timezone

    alert = _raise(store)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            kind=alert.kind,
            key=alert.key,
            title="dup",
            first_seen_at=timezone.now(),
            last_seen_at=timezone.now(),
        )


def test_acknowledge_records_who_and_refuses_resolved(store, merchant):
    alert = _raise(store)
    acked = services.alert_acknowledge(alert=alert, actor=merchant)
    assert acked.acknowledged_by == merchant and acked.acknowledged_at is not None
    assert acked.events.filter(action=AlertEventAction.ACKNOWLEDGED, actor=merchant).exists()
    services.alert_acknowledge(alert=alert, actor=merchant)  # twice: nothing new
    assert acked.events.filter(action=AlertEventAction.ACKNOWLEDGED).count() == 1
    services.alert_resolve(kind=alert.kind, key=alert.key)
    with pytest.raises(ApplicationError):
        services.alert_acknowledge(alert=alert, actor=merchant)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        services.alert_raise(kind="", key="k", title="t")
    with pytest.raises(ValueError):
        services.alert_raise(kind="X", key="k", title="t", severity="apocalyptic")


def test_unknown_kind_is_accepted_and_shown_as_its_code():
    alert = services.alert_raise(kind="FEED_LAG", key="feed", title="Feed is late")
    assert alert.kind_label == "FEED_LAG"


# --- notifications --------------------------------------------------------------------------


def test_e_mail_goes_out_once_after_commit_to_the_store_contacts(
    store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        alert = _raise(store)
        assert mail.outbox == []  # nothing inside the transaction
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@shop.example", "lead@shop.example"]
    assert "Cola is low" in message.subject and store.name in message.body
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _raise(store)
        _raise(store)
    assert callbacks == []
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.emailed_at is not None and alert.occurrences == 3


def test_nothing_is_sent_when_the_transaction_rolls_back(store, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        _raise(store)
        raise RuntimeError("the caller failed")
    assert callbacks == []
    assert mail.outbox == []
    assert Alert.objects.count() == 0


def test_house_wide_alert_goes_to_alert_emails(settings, django_capture_on_commit_callbacks):
    settings.ALERT_EMAILS = ["oncall@shop.example"]
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_raise(kind="WORKER_STALE", key="worker", title="No worker for 5 min")
    assert [m.to for m in mail.outbox] == [["oncall@shop.example"]]


def test_store_without_contacts_falls_back_to_alert_emails(
    settings, django_capture_on_commit_callbacks
):
    settings.ALERT_EMAILS = ["oncall@shop.example"]
    store = factories.JwoStoreMappingFactory().store
    with django_capture_on_commit_callbacks(execute=True):
        _raise(store)
    assert [m.to for m in mail.outbox] == [["oncall@shop.example"]]


def test_no_recipients_and_no_webhook_sends_nothing(settings, django_capture_on_commit_callbacks):
    settings.ALERT_EMAILS = []
    with django_capture_on_commit_callbacks(execute=True):
        alert = services.alert_raise(kind="WORKER_STALE", key="w", title="stale")
    assert mail.outbox == []
    alert.refresh_from_db()
    assert alert.emailed_at is None and alert.webhook_sent_at is None
    # The history says nobody was told, and where to name someone, once.
    services.alert_notify(alert_id=alert.pk)
    noted = alert.events.filter(action=AlertEventAction.NO_RECIPIENTS)
    assert [e.detail for e in noted] == ["No one to e-mail: ALERT_EMAILS is empty."]


def test_a_raise_that_turns_an_alert_critical_is_in_its_history(store):
    alert = _raise(store, severity="warning")
    _raise(store, severity="warning")
    _raise(store, severity="critical", title="Cola is negative")
    _raise(store, severity="critical")
    escalated = alert.events.filter(action=AlertEventAction.ESCALATED)
    assert [e.detail for e in escalated] == ["Warning → Critical: Cola is negative"]


def test_resolve_records_who_and_why(store, merchant):
    alert = _raise(store)
    services.alert_resolve(kind=alert.kind, key=alert.key, actor=merchant, detail="counted 9")
    event = alert.events.get(action=AlertEventAction.RESOLVED)
    assert (event.actor, event.detail) == (merchant, "counted 9")


def test_a_broker_away_when_an_alert_opens_costs_a_delay_and_the_sweep_tells(
    store, monkeypatch, django_capture_on_commit_callbacks
):
    """Queuing the notification fails: the caller (a count, a pricing) still succeeds, and
    beat's sweep sends the e-mail once the task grace has passed, once."""
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from jwo_console.celery import app

    task = app.tasks["alerts.tasks.alert_notify_task"]
    real = task.apply_async

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        alert = _raise(store)
    assert mail.outbox == []
    monkeypatch.setattr(task, "apply_async", real)  # the broker is back
    assert services.alerts_notify_sweep() == 0  # still within its own task's grace
    later = timezone.now() + timedelta(minutes=2)
    assert services.alerts_notify_sweep(now=later) == 1
    assert [m.to for m in mail.outbox] == [["ops@shop.example", "lead@shop.example"]]
    assert services.alerts_notify_sweep(now=later) == 0
    alert.refresh_from_db()
    assert alert.emailed_at is not None
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_alerts_told_resolved_unaddressed_or_a_day_old(settings, store):
    from datetime import timedelta

    from django.utils import timezone

    settings.ALERT_EMAILS = []
    told = _raise(store, key="told")
    Alert.objects.filter(pk=told.pk).update(emailed_at=timezone.now())
    _raise(store, key="resolved")
    services.alert_resolve(kind="LOW_STOCK", key="resolved")
    services.alert_raise(kind="WORKER_STALE", key="nobody", title="no recipients")
    old = _raise(store, key="old")
    Alert.objects.filter(pk=old.pk).update(first_seen_at=timezone.now() - timedelta(hours=25))
    mail.outbox.clear()
    assert services.alerts_notify_sweep(now=timezone.now() + timedelta(minutes=2)) == 0
    assert mail.outbox == []


def test_a_worker_killed_while_sending_loses_no_e_mail(store, monkeypatch):
    """The e-mail channel was claimed and the worker died inside send_mail (no EMAILED in the
    history): after the claim's lease the sweep gives it back and the e-mail goes out once."""
    from datetime import timedelta

    from django.utils import timezone

    alert = _raise(store)
    claimed = timezone.now()
    Alert.objects.filter(pk=alert.pk).update(emailed_at=claimed)  # claimed, then kill -9
    mail.outbox.clear()
    soon = claimed + timedelta(minutes=2)
    assert services.alerts_notify_sweep(now=soon) == 0  # the sender may still be at it
    later = claimed + timedelta(seconds=services.NOTIFY_CLAIM_SECONDS + 60)
    assert services.alerts_notify_sweep(now=later) == 1
    assert [m.to for m in mail.outbox] == [["ops@shop.example", "lead@shop.example"]]
    assert alert.events.filter(action=AlertEventAction.EMAILED).count() == 1
    assert services.alerts_notify_sweep(now=later + timedelta(minutes=20)) == 0
    assert len(mail.outbox) == 1


def test_an_alert_resolved_before_it_was_told_is_not_e_mailed(store):
    alert = _raise(store)
    services.alert_resolve(kind=alert.kind, key=alert.key)
    mail.outbox.clear()
    services.alert_notify(alert_id=alert.pk)  # its task runs late, the worker was away
    assert mail.outbox == []
    assert not alert.events.filter(action=AlertEventAction.EMAILED).exists()
