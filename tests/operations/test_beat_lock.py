"""The beat lock: a second beat sends nothing while another holds the lease (issue 15)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from jwo_console.beatlock import lease_hold, lease_release
from jwo_console.models import BeatLease

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_only_one_holder_until_the_lease_expires():
    assert lease_hold(name="beat", holder="a", lease_seconds=60) is True
    assert lease_hold(name="beat", holder="b", lease_seconds=60) is False
    assert lease_hold(name="beat", holder="a", lease_seconds=60) is True  # renewal
    assert BeatLease.objects.get(name="beat").holder == "a"

    BeatLease.objects.filter(name="beat").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_hold(name="beat", holder="b", lease_seconds=60) is True  # standby takes over
    assert lease_hold(name="beat", holder="a", lease_seconds=60) is False
    assert BeatLease.objects.get(name="beat").holder == "b"


@pytest.mark.django_db
def test_release_lets_the_standby_in_at_once_and_only_the_holder_releases():
    lease_hold(name="beat", holder="a", lease_seconds=600)
    assert lease_release(name="beat", holder="b") is False
    assert lease_hold(name="beat", holder="b", lease_seconds=600) is False
    assert lease_release(name="beat", holder="a") is True
    assert lease_hold(name="beat", holder="b", lease_seconds=600) is True


@pytest.mark.django_db
def test_two_schedulers_only_the_lease_holder_sends(settings):
    from celery.beat import ScheduleEntry

    from jwo_console.beatlock import LeasedScheduler
    from jwo_console.celery import app

    settings.BEAT_LOCK_NAME = "beat-test"
    sent: list[str] = []

    class Recording(LeasedScheduler):
        producer = None  # no broker: sends are recorded

        def apply_async(self, entry, producer=None, advance=True, **kwargs):
            sent.append(self.lease_holder)
            return None

        def setup_schedule(self):  # no shelve file: entries held in memory
            pass

        def sync(self):
            pass

        def close(self):
            self.lease_held and lease_release(name=self.lease_name, holder=self.lease_holder)

    def make():
        s = Recording.__new__(Recording)
        Recording.__init__(s, app=app, lazy=True)
        entry = ScheduleEntry(
            name="hb",
            task="jwo_console.tasks.heartbeat_task",
            schedule=0.01,
            app=app,
            last_run_at=timezone.now() - timedelta(seconds=10),
        )
        s._store = {"entries": {"hb": entry}}
        return s

    first, second = make(), make()
    for _ in range(3):
        first.tick()
        second.tick()
        time.sleep(0.02)
    assert sent and set(sent) == {first.lease_holder}
    assert second.lease_held is False

    first.close()  # the holder stops: the standby takes over at its next tick
    sent.clear()
    second.tick()
    assert sent == [second.lease_holder]


def _queued(redis) -> int:
    return sum(redis.llen(q.name) for q in settings.CELERY_TASK_QUEUES)


@pytest.mark.e2e
@pytest.mark.skipif(not settings.REDIS_URL, reason="the real-beat test counts messages in Redis")
def test_a_real_beat_process_sends_nothing_while_another_holds_the_lease(
    transactional_db, tmp_path
):
    import redis as redis_lib

    redis = redis_lib.Redis.from_url(settings.REDIS_URL)
    redis.delete(*[q.name for q in settings.CELERY_TASK_QUEUES])
    BeatLease.objects.create(
        name="celery-beat",
        holder="other-beat",
        expires_at=timezone.now() + timedelta(hours=1),
        acquired_at=timezone.now(),
    )
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.chaos",
        "CHAOS_BEAT_SECONDS": "0.5",
        "BEAT_LOCK_RENEW_SECONDS": "0.5",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the beat process needs the test database on a server (PostgreSQL)")
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jwo_console",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(5)  # ten schedule periods
        assert beat.poll() is None, "beat must keep running as a standby"
        assert _queued(redis) == 0
        assert BeatLease.objects.get(name="celery-beat").holder == "other-beat"

        # The other beat died: its lease runs out, and this one takes over.
        BeatLease.objects.filter(name="celery-beat").update(expires_at=timezone.now())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _queued(redis) == 0:
            time.sleep(0.2)
        assert _queued(redis) > 0
        assert BeatLease.objects.get(name="celery-beat").holder != "other-beat"
    finally:
        beat.send_signal(signal.SIGTERM)
        try:
            out = beat.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            beat.kill()
            out = beat.communicate()[0].decode(errors="replace")
            raise AssertionError("beat did not stop on SIGTERM:\n" + out[-3000:]) from None
        redis.delete(*[q.name for q in settings.CELERY_TASK_QUEUES])
    assert not BeatLease.objects.filter(name="celery-beat").exists(), out[-2000:]
