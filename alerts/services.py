"""Raising, resolving and acknowledging alerts, and sending their notifications once.

Other features code against three functions: ``alert_raise``, ``alert_resolve`` and
``alert_acknowledge``. They can be called inside the caller's transaction: the notification is
queued once the caller's transaction commits and sent by a Celery task (``alerts/tasks.py``),
so no remote call happens inside an open transaction, and an alert raised by a rolled-back
transaction is never sent. A broker that is away costs a delay, never the caller's request:
beat's ``alerts_notify_sweep`` sends what no task sent.
"""

import json
import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from jwo_console.queueing import send_now, send_on_commit
from stores.models import Store, email_list

from .choices import UNRESOLVED, AlertEventAction, AlertSeverity, AlertStatus
from .models import Alert, AlertEvent

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = (3.05, 10)


class AlertNotifyTransient(OSError):
    """The webhook answered 5xx or 429: the task tries again later."""


def alert_raise(
    *,
    kind: str,
    key: str,
    title: str,
    detail: str = "",
    store: Store | None = None,
    severity: str = AlertSeverity.WARNING,
) -> Alert:
    """Open an alert, or bump the one already open for (kind, key).

    A new alert is notified once (e-mail, and the webhook when ``ALERT_WEBHOOK_URL`` is set)
    after the surrounding transaction commits. Raising it again while it is open (or
    acknowledged) updates its title, detail, severity, ``last_seen_at`` and ``occurrences`` and
    sends nothing. After it is resolved, the next raise opens a new alert.
    """
    if not kind or not key:
        raise ValueError("an alert needs a kind and a key")
    if severity not in AlertSeverity.values:
        raise ValueError(f"unknown severity {severity!r}")
    title, key = title[:200], key[:200]
    now = timezone.now()
    with transaction.atomic():
        alert = _bump(kind=kind, key=key, title=title, detail=detail, severity=severity, now=now)
        if alert is not None:
            return alert
        try:
            with transaction.atomic():  # a savepoint: a concurrent raise may win the insert
                alert = Alert.objects.create(
                    kind=kind,
                    key=key,
                    store=store,
                    severity=severity,
                    title=title,
                    detail=detail,
                    first_seen_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            alert = _bump(
                kind=kind, key=key, title=title, detail=detail, severity=severity, now=now
            )
            if alert is None:  # resolved in between: nothing left to bump
                raise
            return alert
        AlertEvent.objects.create(alert=alert, action=AlertEventAction.OPENED, detail=title)
        # Never fails the caller: a broker away when this commits costs a delay, and beat's
        # alerts_notify_sweep sends what no task sent (jwo_console/queueing.py).
        send_on_commit("alerts.tasks.alert_notify_task", alert.pk, alert_id=alert.pk)
    logger.warning(
        "alert opened",
        extra={
            "alert_id": alert.pk,
            "alert_kind": kind,
            "alert_key": key,
            "store_id": store and store.pk,
        },
    )
    return alert


SEVERITY_RANK = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


def _bump(*, kind: str, key: str, title: str, detail: str, severity: str, now) -> Alert | None:
    unresolved = Alert.objects.filter(kind=kind, key=key, status__in=UNRESOLVED)
    before = unresolved.values_list("pk", "severity").first()
    if before is None:
        return None
    updated = unresolved.update(
        occurrences=F("occurrences") + 1,
        last_seen_at=now,
        title=title,
        detail=detail,
        severity=severity,
        updated_at=now,
    )
    if not updated:
        return None
    pk, was = before
    if SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK.get(was, 0):
        AlertEvent.objects.create(
            alert_id=pk,
            action=AlertEventAction.ESCALATED,
            detail=f"{AlertSeverity(was).label} → {AlertSeverity(severity).label}: {title}"[:500],
        )
    return unresolved.first()


NOTIFY_SWEEP_HOURS = 24  # an alert no one was told of within a day is told of no more
# A channel claimed this long ago with no "sent" in the history was claimed by a worker that
# died while sending (kill -9 in send_mail): the sweep gives the claim back and sends it. A mail
# server slower than this could mean a second e-mail; a lost one is worse.
NOTIFY_CLAIM_SECONDS = 600
_SENT = {"emailed_at": AlertEventAction.EMAILED, "webhook_sent_at": AlertEventAction.WEBHOOK_SENT}


def _stale_claims_released(*, now: datetime) -> int:
    """Give back each channel claimed more than ``NOTIFY_CLAIM_SECONDS`` ago whose sending
    never finished (no EMAILED / WEBHOOK_SENT event, no error recorded), for open alerts of the
    sweep's day. Each is given back only if its claim is still the one read."""
    released = 0
    before = now - timedelta(seconds=NOTIFY_CLAIM_SECONDS)
    for field, action in _SENT.items():
        stuck = (
            Alert.objects.filter(
                status__in=UNRESOLVED,
                notify_error="",
                first_seen_at__gte=now - timedelta(hours=NOTIFY_SWEEP_HOURS),
                **{f"{field}__lt": before},
            )
            .exclude(events__action=action)
            .values_list("pk", field)[:200]
        )
        for pk, claimed in list(stuck):
            if Alert.objects.filter(pk=pk, **{field: claimed}).update(**{field: None}):
                released += 1
                logger.warning(
                    "alert notification claim given back",
                    extra={"alert_id": pk, "channel": field},
                )
    return released


def alerts_notify_sweep(*, now: datetime | None = None) -> int:
    """Send the notification of every open alert that should have had one and did not: its
    task was never queued (the broker was away when the alert opened) or gave up (the mail
    server was down through its retries). Run by beat (ops/tasks.py) every minute; an alert
    younger than the task grace is still its own task's. ``alert_notify`` claims each channel,
    so a task still queued and this one send once between them. Returns how many were sent."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS)
    _stale_claims_released(now=now)
    unsent = Q(emailed_at__isnull=True)
    if settings.ALERT_WEBHOOK_URL:
        unsent |= Q(webhook_sent_at__isnull=True)
    due = (
        Alert.objects.filter(
            unsent,
            status__in=UNRESOLVED,
            notify_error="",
            first_seen_at__lte=now - grace,
            first_seen_at__gte=now - timedelta(hours=NOTIFY_SWEEP_HOURS),
        )
        .select_related("store")
        .order_by("first_seen_at")[:200]
    )
    sent = 0
    for alert in due:
        email_due = alert.emailed_at is None and alert_recipients(alert=alert)
        webhook_due = settings.ALERT_WEBHOOK_URL and alert.webhook_sent_at is None
        if (email_due or webhook_due) and send_now(
            "alerts.tasks.alert_notify_task", alert.pk, alert_id=alert.pk
        ):
            sent += 1
    if sent:
        logger.info("alert notifications sent by the sweep", extra={"alerts": sent})
    return sent


def alert_resolve(
    *, kind: str, key: str, actor: AbstractBaseUser | None = None, detail: str = ""
) -> int:
    """Resolve the unresolved alert of (kind, key), if any; its history says by whom (a count's
    user, say; none for what the console saw by itself) and why. Returns how many were
    resolved."""
    # The common case (every paid order asks): nothing open, one read, no lock or savepoint. An
    # alert raised by a transaction not yet committed is missed by the locking read below too.
    if not Alert.objects.filter(kind=kind, key=key, status__in=UNRESOLVED).exists():
        return 0
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Alert.objects.select_for_update()
            .filter(kind=kind, key=key, status__in=UNRESOLVED)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        Alert.objects.filter(pk__in=ids).update(
            status=AlertStatus.RESOLVED, resolved_at=now, updated_at=now
        )
        AlertEvent.objects.bulk_create(
            AlertEvent(
                alert_id=pk,
                action=AlertEventAction.RESOLVED,
                actor_id=getattr(actor, "pk", None),
                detail=detail[:500],
            )
            for pk in ids
        )
    logger.info("alert resolved", extra={"alert_kind": kind, "alert_key": key})
    return len(ids)


def alert_acknowledge(*, alert: Alert, actor: AbstractBaseUser | None) -> Alert:
    """Someone has seen the alert and is on it. It stays unresolved (a raise still bumps it,
    silently) until the condition clears. Acknowledging twice changes nothing."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status == AlertStatus.RESOLVED:
            raise ApplicationError(
                "This alert is resolved already; there is nothing to acknowledge."
            )
        if locked.status == AlertStatus.ACKNOWLEDGED:
            return locked
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
        AlertEvent.objects.create(alert=locked, action=AlertEventAction.ACKNOWLEDGED, actor=actor)
    logger.info("alert acknowledged", extra={"alert_id": locked.pk})
    return locked


# --- Notifications (run by alerts.tasks.alert_notify_task, never inside a transaction) --------


def alert_recipients(*, alert: Alert) -> list[str]:
    """The store's alert e-mails (on its JWO mapping), else the house-wide ``ALERT_EMAILS``."""
    if alert.store_id is not None:
        from stores.selectors import store_settings

        emails = store_settings(store=alert.store_id).alert_emails
        if emails and email_list(emails):
            return email_list(emails)
    return list(settings.ALERT_EMAILS)


def alert_webhook_payload(*, alert: Alert) -> dict:
    """Slack-compatible: a ``text`` (incoming webhooks need nothing else)."""
    where = f" · {alert.store.name}" if alert.store_id else ""
    text = f"[{alert.get_severity_display()}] {alert.kind_label}{where}: {alert.title}"
    if alert.detail:
        text += f"\n{alert.detail}"
    return {"text": text}


def _no_recipients_noted(alert: Alert) -> None:
    """Say once in the alert's history that nobody was e-mailed, and where to name someone."""
    if alert.events.filter(action=AlertEventAction.NO_RECIPIENTS).exists():
        return
    where = (
        "the store's alert e-mails (Settings → Integrations → Just Walk Out → edit) are empty "
        "and so is ALERT_EMAILS"
        if alert.store_id
        else "ALERT_EMAILS is empty"
    )
    AlertEvent.objects.create(
        alert=alert, action=AlertEventAction.NO_RECIPIENTS, detail=f"No one to e-mail: {where}."
    )


def alert_notify(*, alert_id: int) -> None:
    """Send the alert's e-mail and webhook post, each at most once.

    Each channel is claimed (its timestamp set) before sending and given back if sending fails,
    so a retry of the task sends only what is still unsent. A webhook's 4xx is recorded and not
    retried; timeouts, connection errors, 429 and 5xx raise ``OSError`` for the task's retry.
    """
    alert = Alert.objects.select_related("store").get(pk=alert_id)
    if alert.status == AlertStatus.RESOLVED:
        # Resolved before anyone was told (the worker was away): telling now would send people
        # to something already over. The alert and its history stay on the Alerts page.
        logger.info("alert resolved before it was notified", extra={"alert_id": alert.pk})
        return
    recipients = alert_recipients(alert=alert)
    if not recipients:
        _no_recipients_noted(alert)
    if recipients and _claim(alert, "emailed_at"):
        try:
            send_mail(
                subject=f"[JWO Console] {alert.kind_label}: {alert.title}"[:200],
                message=_email_body(alert),
                from_email=None,
                recipient_list=recipients,
            )
        except Exception:
            _unclaim(alert, "emailed_at")
            raise
        AlertEvent.objects.create(
            alert=alert, action=AlertEventAction.EMAILED, detail=", ".join(recipients)[:500]
        )
    url = settings.ALERT_WEBHOOK_URL
    if url and _claim(alert, "webhook_sent_at"):
        try:
            response = requests.post(
                url,
                data=json.dumps(alert_webhook_payload(alert=alert)),
                headers={"Content-Type": "application/json"},
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise AlertNotifyTransient(f"webhook answered {response.status_code}")
        except OSError:  # requests' exceptions are OSErrors too
            _unclaim(alert, "webhook_sent_at")
            raise
        if response.status_code >= 300:
            error = f"webhook answered {response.status_code}: {response.text[:200]}"
            Alert.objects.filter(pk=alert.pk).update(notify_error=error[:500])
            AlertEvent.objects.create(
                alert=alert, action=AlertEventAction.NOTIFY_FAILED, detail=error[:500]
            )
            logger.error("alert webhook refused", extra={"alert_id": alert.pk})
        else:
            AlertEvent.objects.create(alert=alert, action=AlertEventAction.WEBHOOK_SENT)


def _claim(alert: Alert, field: str) -> bool:
    return bool(
        Alert.objects.filter(pk=alert.pk, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
    )


def _unclaim(alert: Alert, field: str) -> None:
    Alert.objects.filter(pk=alert.pk).update(**{field: None})


def _email_body(alert: Alert) -> str:
    lines = [
        f"{alert.kind_label} ({alert.get_severity_display()})",
        f"Store: {alert.store.name}" if alert.store_id else "House-wide",
        "",
        alert.title,
    ]
    if alert.detail:
        lines += ["", alert.detail]
    lines += ["", f"See {settings.PORTAL_BASE_URL.rstrip('/')}/alerts/ to acknowledge it."]
    return "\n".join(lines)
