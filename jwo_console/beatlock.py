"""The beat lock: a lease in the database, so that a second Celery beat sends nothing.

``lease_hold`` takes or renews the lease in one UPDATE (or one INSERT for the first holder): it
succeeds when the row is free, already ours, or expired. ``LeasedScheduler`` (settings
``CELERY_BEAT_SCHEDULER``) ticks only while it holds the lease; a standby beat keeps trying every
``BEAT_LOCK_RENEW_SECONDS`` and takes over once the holder's lease has expired. On a clean
shutdown the holder releases the lease, so the standby takes over at its next try.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import BeatLease

log = logging.getLogger(__name__)


def beat_holder_id() -> str:
    """A name for this beat process: host, pid and a random part (pids repeat across hosts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_hold(*, name: str, holder: str, lease_seconds: float) -> bool:
    """Take or renew the lease ``name`` for ``holder``; True when ``holder`` now holds it."""
    now = timezone.now()
    expires = now + timedelta(seconds=lease_seconds)
    renewed = BeatLease.objects.filter(Q(holder=holder) | Q(expires_at__lte=now), name=name).update(
        holder=holder, expires_at=expires
    )
    if renewed:
        return True
    if BeatLease.objects.filter(name=name).exists():
        return False  # held by another, not expired
    try:
        with transaction.atomic():
            BeatLease.objects.create(name=name, holder=holder, expires_at=expires, acquired_at=now)
    except IntegrityError:
        return False  # another beat created it first
    return True


def lease_release(*, name: str, holder: str) -> bool:
    """Give the lease up at once (clean shutdown); True when ``holder`` held it."""
    return bool(BeatLease.objects.filter(name=name, holder=holder).delete()[0])


class LeasedScheduler(PersistentScheduler):
    """Celery's persistent scheduler, sending only while this process holds the beat lease."""

    def __init__(self, *args, **kwargs):
        self.lease_holder = beat_holder_id()
        self.lease_name = settings.BEAT_LOCK_NAME
        self.lease_seconds = float(settings.BEAT_LOCK_LEASE_SECONDS)
        self.renew_seconds = float(settings.BEAT_LOCK_RENEW_SECONDS)
        self.lease_held = False
        super().__init__(*args, **kwargs)

    def _hold(self) -> bool:
        if not connection.in_atomic_block:  # a long-lived process: drop a stale connection
            close_old_connections()
        try:
            held = lease_hold(
                name=self.lease_name, holder=self.lease_holder, lease_seconds=self.lease_seconds
            )
        except Exception:  # the database is away: send nothing rather than risk two beats
            log.exception(
                "beat lock: could not reach the database", extra={"holder": self.lease_holder}
            )
            held = False
        if held != self.lease_held:
            log.warning(
                "beat lock %s"
                % ("taken: this beat sends the schedule" if held else "lost: standby"),
                extra={"holder": self.lease_holder, "lock": self.lease_name},
            )
        self.lease_held = held
        return held

    def tick(self, *args, **kwargs):
        if not self._hold():
            return self.renew_seconds  # standby: nothing sent, try again later
        return min(super().tick(*args, **kwargs), self.renew_seconds)

    def close(self):
        super().close()
        if self.lease_held:
            self.lease_held = False
            # In a thread of its own, with its own connection: close() runs from beat's SIGTERM
            # handler, which may have interrupted a query on this thread's connection.
            releaser = threading.Thread(target=self._release, daemon=True)
            releaser.start()
            releaser.join(timeout=5)

    def _release(self):
        try:
            lease_release(name=self.lease_name, holder=self.lease_holder)
        except Exception:
            log.exception("beat lock: could not release", extra={"holder": self.lease_holder})
        finally:
            connection.close()
