"""Exactly one beat sends the periodic tasks, however many are started; a standby takes over
when the holder dies. Real ``celery beat`` processes against this test's database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from jwo_console.beat import LeasedScheduler, beat_lease_hold, beat_lease_release
from jwo_console.models import BeatLease

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_one_holder_at_a_time_and_a_standby_takes_over_when_the_lease_runs_out():
    assert beat_lease_hold(holder="a", seconds=30)
    assert not beat_lease_hold(holder="b", seconds=30)  # a holds it
    assert beat_lease_hold(holder="a", seconds=30)  # renewed
    BeatLease.objects.update(expires_at=timezone.now())  # a stopped renewing
    time.sleep(0.01)
    assert beat_lease_hold(holder="b", seconds=30)
    assert not beat_lease_hold(holder="a", seconds=30)
    beat_lease_release(holder="b")  # a clean shutdown frees it at once
    time.sleep(0.01)
    assert beat_lease_hold(holder="a", seconds=30)


@pytest.mark.django_db
def test_a_standby_scheduler_sends_nothing(tmp_path, monkeypatch):
    from celery.beat import PersistentScheduler

    from jwo_console.celery import app

    sent = []
    monkeypatch.setattr(PersistentScheduler, "tick", lambda self, *a, **k: sent.append(self) or 5)
    first = LeasedScheduler(app=app, schedule_filename=str(tmp_path / "one"), lazy=True)
    second = LeasedScheduler(app=app, schedule_filename=str(tmp_path / "two"), lazy=True)
    for _ in range(3):
        assert first.tick() == 5
        assert second.tick() == settings.JWO_BEAT_LEASE_SECONDS / 3  # asks again soon
    assert sent == [first, first, first]


def _beat(tmp: Path, name: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE="jwo_console.settings.local",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_DIR=str(tmp / "broker"),
        JWO_SWEEP_SECONDS="1",
        JWO_BEAT_LEASE_SECONDS="3",
        JWO_SANDBOX="1",
        LOG_LEVEL="INFO",
        JWO_RUN_VERBOSE="1",
        PYTHONUNBUFFERED="1",  # the first beat is killed: nothing may wait in a buffer
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jwo_console", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp / f"{name}.schedule")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _sends(output: str) -> int:
    return output.count("Sending due task orders-sweep")


@pytest.mark.django_db(transaction=True)
def test_two_real_beats_send_the_sweep_once_and_the_standby_takes_over(tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the beat processes share this test's database: PostgreSQL (CI) only")
    first = _beat(tmp_path, "first")
    second = None
    try:
        time.sleep(4)  # the first beat takes the lease
        second = _beat(tmp_path, "second")
        time.sleep(6)
        holder = BeatLease.objects.get()
        first.send_signal(signal.SIGKILL)  # dies without releasing the lease
        out_first = first.communicate(timeout=30)[0]
        time.sleep(8)  # the lease (3 s) runs out; the standby takes it
        second.send_signal(signal.SIGTERM)
        out_second = second.communicate(timeout=30)[0]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    assert _sends(out_first) >= 4, out_first[-2000:]
    assert f":{first.pid}:" in holder.holder
    # the second beat sent nothing while the first held the lease, then took over
    assert "took the lease" in out_second, out_second[-2000:]
    assert 2 <= _sends(out_second) <= 8, out_second[-2000:]
