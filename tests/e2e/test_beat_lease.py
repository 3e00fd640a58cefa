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
from tests.e2e.waiting import wait_until

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


def _beat(tmp: Path, name: str) -> tuple[subprocess.Popen, Path]:
    """A real beat on this test's database, its output in a file (read while it runs)."""
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
        JWO_BEAT_LOG_LEVEL="INFO",
        JWO_RUN_VERBOSE="1",
        PYTHONUNBUFFERED="1",  # the first beat is killed: nothing may wait in a buffer
    )
    log = tmp / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jwo_console", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp / f"{name}.schedule")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    return proc, log


def _sends(output: str) -> int:
    return output.count("Sending due task orders-sweep")


def _wait_for(log: Path, condition, what: str, timeout: float = 90) -> str:
    """The log once ``condition(text)`` holds (a loaded machine starts a beat slowly)."""

    def met() -> str | None:
        text = log.read_text()
        return text if condition(text) else None

    return wait_until(
        met,
        timeout=timeout,
        interval=0.2,
        what=lambda: f"{what} within {timeout} s:\n{log.read_text()[-2000:]}",
    )


@pytest.mark.django_db(transaction=True)
def test_two_real_beats_send_the_sweep_once_and_the_standby_takes_over(tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the beat processes share this test's database: PostgreSQL (CI) only")
    first, first_log = _beat(tmp_path, "first")
    second = None
    try:
        _wait_for(first_log, lambda t: _sends(t) >= 4, "the first beat sent the sweep 4 times")
        second, second_log = _beat(tmp_path, "second")
        _wait_for(second_log, lambda t: "standby" in t, "the second beat stood by")
        holder = BeatLease.objects.get()
        time.sleep(3)  # a lease's length: the standby keeps quiet while the holder renews
        standby = second_log.read_text()
        first.send_signal(signal.SIGKILL)  # dies without releasing the lease
        first.wait(timeout=30)
        after = _wait_for(
            second_log,
            lambda t: "took the lease" in t and _sends(t.split("took the lease", 1)[1]) >= 2,
            "the standby took over and sent the sweep",
        )
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    assert f":{first.pid}:" in holder.holder
    # the second beat sent nothing while the first held the lease, then took over
    assert _sends(standby) == 0, standby[-2000:]
    assert _sends(after.split("took the lease", 1)[0]) == 0, after[-2000:]
