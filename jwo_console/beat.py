"""Exactly one beat: a lease in the database (``BeatLease``) guards the periodic tasks.

Deployments on more than one machine may start beat twice (a standby, a rolling deploy, an
operator's mistake). Each beat process ticks as usual, but sends nothing unless it holds the
lease: one conditional UPDATE (or the first INSERT) takes it when it is free or expired, and the
holder renews it on every tick. A standby checks every few seconds and takes over within
``JWO_BEAT_LEASE_SECONDS`` of the holder's death. The database, not the broker, decides, as
everywhere in the house; no remote call happens while the lease is written.

Used through ``CELERY_BEAT_SCHEDULER`` (settings/operations.py).
"""

import logging
import os
import socket
import uuid
from datetime import timedelta

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import BeatLease

logger = logging.getLogger(__name__)
LEASE_NAME = "beat"


def beat_lease_hold(*, holder: str, seconds: float, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease for ``holder``; True while it holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    taken = BeatLease.objects.filter(Q(holder=holder) | Q(expires_at__lt=now), name=name).update(
        holder=holder, expires_at=until
    )
    if taken:
        return True
    if BeatLease.objects.filter(name=name).exists():
        return False  # another beat holds it
    try:
        with transaction.atomic():
            BeatLease.objects.create(name=name, holder=holder, expires_at=until, acquired_at=now)
    except IntegrityError:
        return False  # another beat created it at this very moment
    return True


def beat_lease_release(*, holder: str, name: str = LEASE_NAME) -> None:
    """On a clean shutdown: let a standby take over at once."""
    BeatLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())


class LeasedScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, sending only while this process holds the lease."""

    def __init__(self, *args, **kwargs) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.holding: bool | None = None  # unknown until the first tick says
        super().__init__(*args, **kwargs)

    @property
    def lease_seconds(self) -> float:
        return float(settings.JWO_BEAT_LEASE_SECONDS)

    def tick(self, *args, **kwargs) -> float:
        try:
            held = beat_lease_hold(holder=self.holder, seconds=self.lease_seconds)
        except Exception:  # the database is away: send nothing, ask again soon
            logger.exception("beat: could not read the lease", extra={"holder": self.holder})
            held = False
        if held != self.holding:
            logger.warning(
                "beat: %s the lease",
                "took" if held else "does not hold (standby)",
                extra={"holder": self.holder},
            )
            self.holding = held
        renew = self.lease_seconds / 3
        if not held:
            return renew  # standby
        return min(super().tick(*args, **kwargs), renew)

    def close(self) -> None:
        if self.holding:
            try:
                beat_lease_release(holder=self.holder)
            except Exception:
                logger.exception("beat: could not release the lease")
        super().close()
