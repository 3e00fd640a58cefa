"""Chaos run (issue 11): does money survive faults?

A fresh PostgreSQL database, migrated and seeded (``manage.py seed_demo``); as subprocesses its
own redis-server, gunicorn serving the console and the sandbox (which plays Amazon), two Celery
workers (``w1``, ``w2``, consuming every queue the Celery configuration names) and beat. The gate
simulator (sandbox/simulator.py) sends N trips through the connector, re-sending a cart that got
a 5xx or no answer identically, as Amazon does, while sandbox faults (SandboxFault rows: 500/503
bursts, 429, hangs, latency, "done, answer lost", "the read knows nothing") hit the Payment and
Feedback operations. Mid-run a worker is killed with SIGKILL twice (and restarted), Redis is
stopped and started empty once and the web process is restarted once. Then it waits (bounded)
until every order is final or in review and prints a table; the three rows marked ``(must be 0)``
are what issue 11 asks to be zero.

    .venv/bin/python bench/chaos.py              # 1,000 trips (make bench)
    .venv/bin/python bench/chaos.py --quick      # 80 trips, what tests/e2e/test_chaos.py runs
    .venv/bin/python bench/chaos.py --trips 300 --json out.json --strict

Needs DATABASE_URL pointing at PostgreSQL (the database named by ``--database`` is dropped and
created beside it) and ``redis-server`` on PATH; without them it says so and exits 0. Only
127.0.0.1 is contacted. Every subprocess runs in its own session and is killed at the end, on
Ctrl-C and on errors. Logs of every process are kept under ``--logs`` (a temporary folder).

Final: COMPLETED, or ERROR with no automatic step left (``next_action`` empty where the engine
has one, otherwise no ``next_retry_at``). In review: a status (or next action) whose name says
REVIEW or UNKNOWN (orders/choices.py).
"""

import argparse
import base64
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from _common import ROOT, free_port, fresh_database

SECRET = "chaos-connector-secret"
HOST = "127.0.0.1"


# --- the plan -----------------------------------------------------------------------------------


@dataclass
class Plan:
    trips: int = 1000
    traffic_seconds: float = 300.0  # the trips are spread over this long
    concurrency: int = 16  # gate simulator threads (a resent cart holds one)
    faults_per_trip: float = 0.4  # SandboxFault rows injected per trip, spread over the traffic
    quiesce_seconds: float = 600.0  # longest wait for every order to be final or in review
    deadline_seconds: float = 1800.0  # the whole run, start to table, never longer
    seed: int = 11
    database: str = "jwo_bench_chaos"
    read_timeout: float = 2.0  # the console's read timeout on Amazon calls
    web_workers: int = 2
    worker_concurrency: int = 3
    # Short schedules, through the variables jwo_console/settings/base.py reads.
    schedule_minutes: str = "0.25,0.5,0.75,1,1.25,1.5,1.75,2"
    short_seconds: int = 5  # pending / transient retries, feedback resends
    lease_seconds: int = 30  # longer than one attempt takes with the transport's retries
    claim_seconds: int = 30  # the sweep claims an order again after this (its task lost)
    beat_seconds: float = 3.0  # every beat schedule at most this far apart (settings/chaos.py)


QUICK = {
    "trips": 80,
    "traffic_seconds": 45.0,
    "concurrency": 10,
    "faults_per_trip": 0.6,
    "quiesce_seconds": 110.0,
    "deadline_seconds": 225.0,
    "database": "jwo_chaos_quick",
    "schedule_minutes": "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8",
    "short_seconds": 3,
    "lease_seconds": 20,
    "claim_seconds": 20,
    "beat_seconds": 2.0,
}


# --- processes ----------------------------------------------------------------------------------


class Supervisor:
    """The subprocesses of the run, each in its own session (so SIGKILL takes its children
    too), logging to a file each. ``stop_all`` ends every one of them, and only them."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self.argv: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def start(self, name: str, argv: list[str] | None = None) -> subprocess.Popen:
        with self.lock:
            argv = argv or self.argv[name]
            self.argv[name] = argv
            log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (the child owns it)
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            log.close()
            self.procs[name] = proc
            return proc

    def kill(self, name: str, sig: int = signal.SIGKILL, grace: float = 0.0) -> None:
        proc = self.procs.get(name)
        if proc is None:
            return
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=grace or 10)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)
        if sig != signal.SIGKILL:
            _signal_group(proc, signal.SIGKILL)  # children that outlived their parent

    def stop_all(self) -> None:
        with self.lock:
            procs = list(self.procs.items())
        for _name, proc in reversed(procs):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 8
        for _name, proc in reversed(procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the session this run started for it (pgid == its pid)


def _wait(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def _redis_ping(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


def _http_ok(url: str) -> bool:
    import requests

    return requests.get(url, timeout=2).status_code == 200


def _blank(message: str) -> str:
    """An order's message with its ids, SKUs and amounts blanked, so like messages count as one."""
    message = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", message)
    message = re.sub(r"SKU-UNKNOWN-\w+", "SKU-UNKNOWN-<x>", message)
    message = re.sub(r"\d+(\.\d+)?", "<n>", message)
    return message[:110]


def _log_has(path: Path, text: str, after: int = 0) -> bool:
    return path.exists() and text in path.read_text(errors="replace")[after:]


# --- the console's configuration, read in this process ------------------------------------------


def celery_queues() -> list[str]:
    """Every queue the Celery configuration names (queues, routes, beat entries' options), with
    the default queue; empty when nothing names one (the workers then take the default)."""
    from jwo_console.celery import app

    conf = app.conf
    names: list[str] = []

    def add(queue) -> None:
        name = getattr(queue, "name", queue)
        if isinstance(name, str) and name and name not in names:
            names.append(name)

    for queue in conf.task_queues or []:
        add(queue)
    routes = conf.task_routes or {}
    for table in routes if isinstance(routes, list | tuple) else [routes]:
        if isinstance(table, dict):
            for route in table.values():
                if isinstance(route, dict):
                    add(route.get("queue"))
                else:
                    add(route)
    for entry in (conf.beat_schedule or {}).values():
        add((entry.get("options") or {}).get("queue"))
    if names:
        add(conf.task_default_queue or "celery")
    return names


class Classifier:
    """Final, in review or open, for whatever engine is on this branch (orders/choices.py)."""

    REVIEW_WORDS = ("REVIEW", "UNKNOWN")

    def __init__(self) -> None:
        from orders.models import Order

        fields = {f.name: f for f in Order._meta.get_fields()}
        self.action_field = next(
            (n for n in ("next_action", "next_step") if n in fields), None
        )  # the explicit next-action field, where the engine has one
        self.due_field = next((n for n in ("next_action_at", "next_retry_at") if n in fields), None)
        self.review_statuses = self._named(fields["status"])
        self.review_actions = self._named(fields[self.action_field]) if self.action_field else set()
        self.flag_field = "needs_review" if "needs_review" in fields else None
        self.columns = ["id", "status", "completed_at", "updated_at", "trip__trip_id"]
        self.columns += [f for f in (self.action_field, self.due_field, self.flag_field) if f]

    def _named(self, model_field) -> set[str]:
        return {
            value
            for value, _label in (model_field.choices or [])
            if any(w in str(value).upper() for w in self.REVIEW_WORDS)
        }

    def state(self, row: dict) -> str:
        status = row["status"]
        action = row.get(self.action_field) if self.action_field else None
        if status in self.review_statuses or (action and action in self.review_actions):
            return "review"
        if self.flag_field and row.get(self.flag_field):
            return "review"
        if status == "COMPLETED":
            return "final"
        if status == "ERROR":
            if self.action_field:
                return "final" if not action or action == "NONE" else "open"
            return "final" if row.get("next_retry_at") is None else "open"
        return "open"

    def describe(self) -> str:
        return (
            f"next action field: {self.action_field or 'none'}, due field: {self.due_field}, "
            f"review statuses: {sorted(self.review_statuses) or 'none'}, "
            f"review actions: {sorted(self.review_actions) or 'none'}"
        )


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Report:
    plan: dict
    wall_seconds: float = 0.0
    traffic_seconds: float = 0.0
    quiesce_seconds: float = 0.0
    quiescent: bool = False
    trips: int = 0
    admitted: int = 0
    carts_sent: int = 0
    cart_resends: int = 0
    carts_unanswered: int = 0  # still 5xx / no answer after every resend
    orders: int = 0
    by_state: dict = field(default_factory=dict)
    final: int = 0
    in_review: int = 0
    open_orders: int = 0  # neither final nor in review (must be 0)
    open_examples: list = field(default_factory=list)
    double_captures: int = 0  # (must be 0)
    capture_replays: int = 0
    second_captures_refused: int = 0
    double_capture_examples: list = field(default_factory=list)
    captured_not_in_console: int = 0  # (must be 0)
    captured_not_in_console_amount: str = "0.00"
    captured_examples: list = field(default_factory=list)
    captured_in_review: int = 0  # captured at the sandbox, the order waiting for staff
    console_above_sandbox: int = 0
    reasons: dict = field(default_factory=dict)  # ERROR and review messages, ids blanked
    trips_without_order: int = 0
    longest_cart_to_final_seconds: float | None = None
    faults_injected: dict = field(default_factory=dict)
    faulted_calls: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    queues: list = field(default_factory=list)
    classifier: str = ""
    logs: str = ""

    def zero_rows_ok(self) -> bool:
        return (
            self.double_captures == 0
            and self.captured_not_in_console == 0
            and (self.open_orders == 0)
        )


class ChaosRun:
    def __init__(self, plan: Plan, logs: Path) -> None:
        self.plan = plan
        self.logs = logs
        self.rng = random.Random(plan.seed)
        self.started = time.monotonic()
        self.report = Report(plan=asdict(plan), logs=str(logs))
        self.stop = threading.Event()
        self.final_at: dict[int, float] = {}  # order id -> epoch seconds first seen final
        self.cart_sent_at: dict[str, float] = {}
        self.outcomes: list = []
        self.web_port = free_port()
        self.redis_port = free_port()
        self.sup: Supervisor | None = None

    # -- helpers ------------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def event(self, text: str) -> None:
        line = f"{self.elapsed():7.1f} s  {text}"
        self.report.events.append(line)
        print(f"  {line}", flush=True)

    def left(self) -> float:
        return self.plan.deadline_seconds - self.elapsed()

    # -- setup ----------------------------------------------------------------------------------
    def environment(self, db_url: str) -> dict[str, str]:
        p = self.plan
        web = f"http://{HOST}:{self.web_port}"
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("JWO_", "CELERY_"))}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "jwo_console.settings.chaos",
            "DJANGO_READ_DOT_ENV_FILE": "0",
            "DATABASE_URL": db_url,
            "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0",
            "DEBUG": "0",
            "SECRET_KEY": "chaos-run-only-not-secret",
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "JWO_SANDBOX": "1",
            "JWO_SANDBOX_URL": f"{web}/sandbox",
            "JWO_SANDBOX_CONNECTOR_URL": web,
            "JWO_CONNECTOR_SECRET": SECRET,
            "PORTAL_BASE_URL": web,
            # Nothing leaves 127.0.0.1: the sandbox plays the loyalty providers and the card
            # processor, alerts are neither mailed nor posted.
            "YINZCAM_URL": "",
            "VENUENEXT_URL": "",
            "PROCESSOR_URL": "",
            "ALERT_WEBHOOK_URL": "",
            "ALERT_EMAILS": "",
            "SANDBOX_SQS_ENDPOINT_URL": "",
            "JWO_CATALOG_SQS_ENDPOINT_URL": "",
            "JWO_CATALOG_SQS_QUEUE_NAME": "",
            "JWO_HTTP_CONNECT_TIMEOUT": "1",
            "JWO_HTTP_READ_TIMEOUT": str(p.read_timeout),
            "JWO_HTTP_MAX_ATTEMPTS": "3",
            "JWO_HTTP_MAX_INLINE_RETRY_AFTER": "2",
            "JWO_RETRY_SCHEDULE_MINUTES": p.schedule_minutes,
            "JWO_RETRY_COOLDOWN_MINUTES": "0",
            "JWO_PENDING_RETRY_SECONDS": str(p.short_seconds),
            "JWO_TRANSIENT_RETRY_SECONDS": str(p.short_seconds),
            "JWO_ATTEMPT_LEASE_SECONDS": str(p.lease_seconds),
            "JWO_FEEDBACK_RETRY_SECONDS": str(p.short_seconds),
            # The sweep and the resolution of unknown outcomes (payments/sweep.py), where the
            # engine has them: a claimed order whose task was lost is claimed again, a task
            # queued at a commit that never ran is taken over, a lost answer is read.
            "JWO_SWEEP_SECONDS": str(p.beat_seconds),
            "JWO_SWEEP_CLAIM_SECONDS": str(p.claim_seconds),
            "JWO_TASK_GRACE_SECONDS": str(p.short_seconds * 2),
            "JWO_RESOLVE_AFTER_SECONDS": str(p.short_seconds),
            "JWO_RESOLVE_MAX_READS": "3",
            "CHAOS_BEAT_SECONDS": str(p.beat_seconds),
            "CATALOG_POLL_AFTER_SECONDS": "5",
            "PYTHONUNBUFFERED": "1",
        }

    def setup(self) -> None:
        p = self.plan
        db_url = fresh_database(p.database, str(self.logs))
        env = self.environment(db_url)
        self.sup = Supervisor(self.logs, env)
        with open(self.logs / "setup.log", "ab") as log:
            for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
                subprocess.run(
                    [sys.executable, "manage.py", *args],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=max(30, self.left()),
                )
        self.event(f"database {p.database} migrated and seeded")
        os.environ.update(env)
        import django

        django.setup()
        self.report.queues = celery_queues()
        self.classifier = Classifier()
        self.report.classifier = self.classifier.describe()
        self.store_id = self._sandbox_catalog()

    def _sandbox_catalog(self) -> str:
        """What Amazon knows of the demo store's catalog: its eligible items (one barcode, one
        SKU, as Amazon accepts them), so the gate simulator's carts hold real items."""
        from catalog.models import StoreItem
        from sandbox.models import SandboxCatalogItem
        from sandbox.trips import known_store
        from stores.models import JwoStoreMapping

        mapping = JwoStoreMapping.objects.select_related("store").order_by("pk").first()
        items = list(
            StoreItem.objects.filter(
                store=mapping.store, is_active=True, item__eligibility_error=""
            ).select_related("item")
        )
        barcodes = Counter(si.item.barcode for si in items)
        known_store(mapping.jwo_store_id)
        SandboxCatalogItem.objects.bulk_create(
            SandboxCatalogItem(
                store_id=mapping.jwo_store_id,
                item_sku=si.item.sku,
                item_name=si.item.name,
                external_product_id=si.item.barcode,
                standard_price=str(si.price),
            )
            for si in items
            if barcodes[si.item.barcode] == 1
        )
        return mapping.jwo_store_id

    def start_redis(self) -> None:
        self.sup.start(
            "redis",
            [
                shutil.which("redis-server"),
                "--port",
                str(self.redis_port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.logs),
            ],
        )
        _wait(lambda: _redis_ping(self.redis_port), 20, "redis-server")

    def start_processes(self) -> None:
        sup, p = self.sup, self.plan
        py = sys.executable
        queues = self.report.queues
        self.start_redis()
        sup.start(
            "web",
            [
                py,
                "-m",
                "gunicorn",
                "jwo_console.wsgi",
                "--bind",
                f"{HOST}:{self.web_port}",
                "--workers",
                str(p.web_workers),
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--graceful-timeout",
                "5",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
        )
        for name in ("w1", "w2"):
            sup.start(
                name,
                [
                    py,
                    "-m",
                    "celery",
                    "-A",
                    "jwo_console",
                    "worker",
                    "-n",
                    f"{name}@%h",
                    "--concurrency",
                    str(p.worker_concurrency),
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                    *(["-Q", ",".join(queues)] if queues else []),
                ],
            )
        sup.start(
            "beat",
            [
                py,
                "-m",
                "celery",
                "-A",
                "jwo_console",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.logs / "celerybeat-schedule"),
            ],
        )
        _wait(lambda: _http_ok(f"http://{HOST}:{self.web_port}/livez"), 60, "gunicorn")
        for name in ("w1", "w2"):
            _wait(lambda n=name: _log_has(self.logs / f"{n}.log", " ready."), 90, f"worker {name}")
        self.event(
            f"redis :{self.redis_port}, gunicorn :{self.web_port}, workers w1 w2 "
            f"(queues: {','.join(queues) or 'default'}), beat: up"
        )

    # -- chaos ----------------------------------------------------------------------------------
    def restart_worker(self, name: str) -> None:
        """SIGKILL while a capture is in flight at the sandbox where one can be caught."""
        from django.db import close_old_connections
        from django.utils import timezone

        from sandbox.models import SandboxCall, SandboxFault

        SandboxFault.objects.create(
            service="payments",
            operation="CaptureCharge",
            kind="LATENCY",
            latency_ms=1500,
            remaining=8,
        )

        def capture_in_flight() -> bool:
            since = timezone.now() - timezone.timedelta(seconds=3)
            return SandboxCall.objects.filter(
                operation="CaptureCharge", status__isnull=True, received_at__gte=since
            ).exists()

        try:
            _wait(capture_in_flight, 8, "a capture in flight", interval=0.1)
            caught = "with a CaptureCharge in flight"
        except RuntimeError:
            caught = "(no capture in flight within 8 s)"
        close_old_connections()
        log = self.logs / f"{name}.log"
        size = log.stat().st_size if log.exists() else 0
        self.sup.kill(name, signal.SIGKILL)
        self.event(f"kill -9 worker {name} {caught}")
        time.sleep(2)
        self.sup.start(name)
        _wait(lambda: _log_has(log, " ready.", after=size), 60, f"worker {name} back")
        self.event(f"worker {name} restarted")

    def restart_redis(self) -> None:
        self.sup.kill("redis", signal.SIGKILL)
        self.event("redis stopped (kill -9; nothing saved)")
        time.sleep(5)
        self.sup.start("redis")
        _wait(lambda: _redis_ping(self.redis_port), 20, "redis-server back")
        self.event("redis started again, empty")

    def restart_web(self) -> None:
        self.sup.kill("web", signal.SIGTERM, grace=8)
        self.event("web (gunicorn) stopped")
        time.sleep(1)
        self.sup.start("web")
        _wait(lambda: _http_ok(f"http://{HOST}:{self.web_port}/livez"), 60, "gunicorn back")
        self.event("web (gunicorn) started again")

    def chaos(self) -> None:
        """The mid-run events, at fixed shares of the traffic phase."""
        timeline = [
            (0.20, lambda: self.restart_worker("w1")),
            (0.40, self.restart_redis),
            (0.60, lambda: self.restart_worker("w2")),
            (0.80, self.restart_web),
        ]
        begin = time.monotonic()
        for share, action in timeline:
            wait = begin + share * self.plan.traffic_seconds - time.monotonic()
            if self.stop.wait(max(0.0, wait)):
                return
            try:
                action()
            except Exception as exc:
                self.event(f"chaos step failed: {exc!r}")

    FAULTS = [
        # weight, kind, service, operation, (min, max) calls, latency ms (None = the hang)
        (3, "500", "payments", "*", (1, 3), 0),
        (2, "503", "payments", "*", (1, 3), 0),
        (2, "429", "payments", "*", (1, 2), 0),
        (1, "500", "feedback", "*", (1, 2), 0),
        (2, "TIMEOUT", "payments", "AdjustCharge", (1, 1), None),
        (2, "TIMEOUT", "payments", "CaptureCharge", (1, 1), None),
        (1, "TIMEOUT", "payments", "GetTransactionalData", (1, 1), None),
        (2, "LATENCY", "payments", "*", (2, 5), 800),
        (3, "LOST", "payments", "CaptureCharge", (1, 1), None),
        (1, "LOST", "payments", "CaptureCharge", (1, 1), 0),  # done, then a 504 at once
        (1, "LOST", "payments", "AdjustCharge", (1, 1), None),
        (1, "LOST", "payments", "CancelCharge", (1, 1), None),
        (3, "BLIND", "payments", "GetTransactionalData", (1, 2), 0),
        # A capture whose answer is lost, then reads that know nothing: nobody can tell.
        (2, "LOST+BLIND", "payments", "CaptureCharge", (1, 1), None),
    ]

    def inject_faults(self) -> None:
        from django.db import close_old_connections

        from sandbox.models import SandboxFault

        count = max(1, int(self.plan.trips * self.plan.faults_per_trip))
        interval = self.plan.traffic_seconds / count
        weights = [f[0] for f in self.FAULTS]
        hang = int((self.plan.read_timeout + 1) * 1000)
        injected: Counter = Counter()
        for _ in range(count):
            if self.stop.wait(interval):
                break
            _w, kind, service, operation, (low, high), latency = self.rng.choices(
                self.FAULTS, weights
            )[0]
            if kind == "LOST+BLIND":
                SandboxFault.objects.create(
                    service=service, operation=operation, kind="LOST", remaining=1, latency_ms=hang
                )
                SandboxFault.objects.create(
                    service=service, operation="GetTransactionalData", kind="BLIND", remaining=10
                )
            else:
                SandboxFault.objects.create(
                    service=service,
                    operation=operation,
                    kind=kind,
                    remaining=self.rng.randint(low, high),
                    latency_ms=hang if latency is None else self.rng.randint(latency // 3, latency),
                    retry_after=1,
                )
            injected[f"{kind} {operation}"] += 1
        close_old_connections()
        self.report.faults_injected = dict(sorted(injected.items()))

    # -- traffic -------------------------------------------------------------------------------
    # The gate simulator's shoppers (sandbox/simulator.py) and their cards (card profile, weight).
    SIMULATION = {
        "app_share": 0.3,
        "empty_rate": 0.03,
        "unknown_sku_rate": 0.02,
        "group_rate": 0.05,
        "loyalty_rate": 0.1,
        "purchase_resends": 25,
        "resend_wait": 1.5,
    }
    PROFILES = [("OK", 80), ("DECLINE", 5), ("PENDING_ONCE", 7), ("NSF", 8)]

    def traffic(self, trips: int | None = None, seconds: float | None = None, first: int = 1):
        """``trips`` shoppers (the plan's) spread over ``seconds``, numbered from ``first``."""
        from django.db import close_old_connections

        from sandbox.simulator import GateSimulator, SimulationConfig, app_key_source

        web = f"http://{HOST}:{self.web_port}"
        config = SimulationConfig(
            connector_url=web,
            connector_secret=SECRET,
            store_id=self.store_id,
            shoppers=self.plan.trips,
            timeout=10.0,
            seed=self.plan.seed,
            **self.SIMULATION,
        )
        fetch_code = app_key_source(web, ["demo-app-token-1", "demo-app-token-2"])

        def identity_key(shopper_no: int) -> str:
            # The shopper's phone asks again while the retailer's app server is restarting.
            for _ in range(10):
                code = fetch_code(shopper_no)
                if not code.startswith(base64.b64encode(b"JWOSIM").decode()[:8]):
                    return code
                time.sleep(1)
            return code

        config.identity_key = identity_key
        sim = GateSimulator(config)
        from requests.adapters import HTTPAdapter

        sim.session.mount("http://", HTTPAdapter(pool_maxsize=self.plan.concurrency))
        profiles = self.PROFILES
        lock = threading.Lock()

        def one(n: int, profile: str, limit: Decimal | None):
            try:
                outcome = sim.run_trip(n, card_profile=profile, nsf_limit=limit)
            except Exception as exc:
                outcome = None
                self.event(f"trip {n} could not run: {exc!r}")
            finally:
                close_old_connections()
            if outcome is not None:
                with lock:
                    self.outcomes.append(outcome)

        trips = self.plan.trips if trips is None else trips
        seconds = self.plan.traffic_seconds if seconds is None else seconds
        interval = seconds / max(1, trips)
        begin = time.monotonic()
        pool = ThreadPoolExecutor(max_workers=self.plan.concurrency, thread_name_prefix="trip")
        try:
            for n in range(first, first + trips):
                wait = begin + (n - first) * interval - time.monotonic()
                if self.stop.wait(max(0.0, wait)):
                    break
                profile = self.rng.choices([p for p, _ in profiles], [w for _, w in profiles])[0]
                limit = Decimal(self.rng.randint(400, 1500)) / 100 if profile == "NSF" else None
                pool.submit(one, n, profile, limit)
            pool.shutdown(wait=True)
        except BaseException:
            config.purchase_resends = 0  # the trips under way stop re-sending
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        self.report.traffic_seconds = round(time.monotonic() - begin, 1)

    # -- watching -------------------------------------------------------------------------------
    def snapshot(self) -> Counter:
        """Every order's state now; remembers when each was first seen final (or in review)."""
        from django.db import close_old_connections

        from orders.models import Order

        now = time.time()
        states: Counter = Counter()
        for row in Order.objects.values(*self.classifier.columns).iterator(chunk_size=2000):
            state = self.classifier.state(row)
            states[state] += 1
            if state == "open":
                self.final_at.pop(row["id"], None)
            else:
                self.final_at.setdefault(row["id"], now)
        close_old_connections()
        return states

    def watch(self) -> None:
        while not self.stop.wait(2.0):
            try:
                self.snapshot()
            except Exception as exc:
                print(f"  watch: {exc!r}", flush=True)

    def quiesce(self) -> None:
        from datetime import timedelta

        from django.db import close_old_connections
        from django.utils import timezone

        from sandbox.models import SandboxCall

        begin = time.monotonic()
        limit = min(self.plan.quiesce_seconds, max(10.0, self.left() - 15))
        calm = 0
        last_print = 0.0
        while time.monotonic() - begin < limit:
            states = self.snapshot()
            in_flight = SandboxCall.objects.filter(  # calls cut by the web restart stay null
                status__isnull=True, received_at__gte=timezone.now() - timedelta(seconds=30)
            ).count()
            close_old_connections()
            calm = calm + 1 if states["open"] == 0 and in_flight == 0 else 0
            if calm >= 3:
                self.report.quiescent = True
                break
            if time.monotonic() - last_print > 15:
                last_print = time.monotonic()
                print(
                    f"  {self.elapsed():7.1f} s  waiting: {states['open']} open, "
                    f"{states['final']} final, {states['review']} in review",
                    flush=True,
                )
            time.sleep(2)
        self.report.quiesce_seconds = round(time.monotonic() - begin, 1)
        self.event("quiescent" if self.report.quiescent else "quiescence timed out")

    # -- the table --------------------------------------------------------------------------------
    def measure(self) -> None:
        from django.db.models import Count

        from orders.models import Order
        from sandbox.models import SandboxCall, SandboxTrip

        r = self.report
        outcomes = list(self.outcomes)
        r.trips = len(outcomes)
        r.admitted = sum(1 for o in outcomes if o.admitted)
        r.carts_sent = sum(1 for o in outcomes if o.purchase_sends)
        r.cart_resends = sum(max(0, o.purchase_sends - 1) for o in outcomes)
        r.carts_unanswered = sum(
            1
            for o in outcomes
            if o.purchase_sends and (o.purchase_status is None or o.purchase_status >= 500)
        )
        cart_sent = {o.trip_id: o.cart_sent_at for o in outcomes if o.cart_sent_at}

        self.snapshot()
        rows = list(
            Order.objects.values(*self.classifier.columns, "captured_amount", "error_message")
        )
        reasons: Counter = Counter()
        r.orders = len(rows)
        by_state: Counter = Counter()
        console_captured: dict[str, Decimal] = {}
        in_review: set[str] = set()
        longest = None
        for row in rows:
            state = self.classifier.state(row)
            label = {"review": "in review"}.get(state, state)
            by_state[f"{row['status']} ({label})"] += 1
            console_captured[row["trip__trip_id"]] = row["captured_amount"]
            if state == "open":
                r.open_orders += 1
                if len(r.open_examples) < 10:
                    r.open_examples.append(
                        {k: str(v) for k, v in row.items() if k not in ("updated_at",)}
                    )
            elif state == "review":
                r.in_review += 1
                in_review.add(row["trip__trip_id"])
            else:
                r.final += 1
            if row["status"] != "COMPLETED" and row["error_message"]:
                reasons[_blank(row["error_message"])] += 1
            sent = cart_sent.get(row["trip__trip_id"])
            reached = self.final_at.get(row["id"])
            if state != "open" and sent and reached:
                longest = max(longest or 0.0, reached - sent)
        r.by_state = dict(sorted(by_state.items()))
        r.reasons = dict(reasons.most_common(8))
        r.longest_cart_to_final_seconds = round(longest, 1) if longest is not None else None

        missing = Decimal("0")
        sandbox_trips = SandboxTrip.objects.filter(trip_id__in=[o.trip_id for o in outcomes])
        for trip in sandbox_trips.only("trip_id", "captured_amount", "capture_replays"):
            console = console_captured.get(trip.trip_id)
            if trip.trip_id not in console_captured and trip.captured_amount > 0:
                r.trips_without_order += 1
            if trip.captured_amount > (console or Decimal("0")) and trip.trip_id in in_review:
                r.captured_in_review += 1  # not booked, but shown to staff as unknown
            elif trip.captured_amount > (console or Decimal("0")):
                r.captured_not_in_console += 1
                missing += trip.captured_amount - (console or Decimal("0"))
                if len(r.captured_examples) < 10:
                    r.captured_examples.append(
                        f"{trip.trip_id}: sandbox {trip.captured_amount}, console "
                        f"{console if console is not None else 'no order'}"
                    )
            elif console is not None and console > trip.captured_amount:
                r.console_above_sandbox += 1
            if trip.capture_replays > 0:
                r.capture_replays += 1
        r.captured_not_in_console_amount = str(missing)

        # A capture that reached a trip already captured, whether the sandbox played it as a
        # replay or refused it as "already captured": Amazon does not promise replays, so each
        # counts as a capture sent twice. So does a trip with two captures carried out.
        reached = SandboxCall.objects.filter(
            operation="CaptureCharge", signature_ok=True, fault__in=["", "LATENCY", "LOST"]
        )
        per_trip: Counter = Counter()
        refused: set[str] = set()
        for body, status, fault, response in reached.values_list(
            "body", "status", "fault", "response"
        ):
            try:
                trip_id = json.loads(body).get("shoppingTripId", "")
            except (ValueError, AttributeError):
                continue
            if status == 200 or (fault == "LOST" and status == 504):
                per_trip[trip_id] += 1  # carried out (the LOST fault answers after the work)
            elif status == 400 and "already captured" in (response or ""):
                refused.add(trip_id)
        r.second_captures_refused = len(refused)
        doubles = {t for t, n in per_trip.items() if n > 1} | refused
        doubles |= set(
            SandboxTrip.objects.filter(capture_replays__gt=0).values_list("trip_id", flat=True)
        )
        r.double_captures = len(doubles)
        r.double_capture_examples = sorted(doubles)[:10]
        r.faulted_calls = dict(
            SandboxCall.objects.exclude(fault="")
            .values_list("fault")
            .annotate(n=Count("id"))
            .order_by("fault")
        )
        r.wall_seconds = round(self.elapsed(), 1)

    def table(self) -> str:
        r = self.report
        must = "  (must be 0)"
        lines = [
            ("trips (gate simulator)", r.trips),
            ("  admitted / carts sent", f"{r.admitted} / {r.carts_sent}"),
            ("  carts re-sent after a 5xx or no answer", r.cart_resends),
            ("  carts never answered below 500", r.carts_unanswered),
            ("orders in the console", r.orders),
            *((f"  {state}", n) for state, n in r.by_state.items()),
            ("final / in review", f"{r.final} / {r.in_review}"),
            ("double captures at the sandbox" + must, r.double_captures),
            ("  of which replays / refused as already captured",
             f"{r.capture_replays} / {r.second_captures_refused}"),
            ("trips captured at the sandbox, not in the console" + must,
             f"{r.captured_not_in_console} ({r.captured_not_in_console_amount})"),
            ("  captured at the sandbox, order in review", r.captured_in_review),
            ("  console captured more than the sandbox", r.console_above_sandbox),
            ("orders neither final nor in review" + must, r.open_orders),
            ("longest cart-to-final (s)", r.longest_cart_to_final_seconds),
            ("sandbox calls answered with a fault", sum(r.faulted_calls.values())),
            ("traffic / quiescence / wall (s)",
             f"{r.traffic_seconds} / {r.quiesce_seconds}"
             f"{'' if r.quiescent else ' (timed out)'} / {r.wall_seconds}"),
        ]  # fmt: skip
        width = max(len(k) for k, _ in lines)
        out = [f"{k:<{width}}  {v}" for k, v in lines]
        kinds = ", ".join(f"{k} {v}" for k, v in r.faulted_calls.items())
        out.append(f"faulted calls by kind: {kinds}")
        if r.reasons:
            out.append("messages of orders not completed (ids and amounts blanked):")
            out.extend(f"  {n:5d}  {reason}" for reason, n in r.reasons.items())
        for title, examples in (
            ("double captures", r.double_capture_examples),
            ("captured, not in the console", r.captured_examples),
            ("open orders", r.open_examples),
        ):
            if examples:
                out.append(f"{title}, e.g.:")
                out.extend(f"  {e}" for e in examples[:5])
        verdict = "PASS" if r.zero_rows_ok() else "FAIL"
        out.append(f"RESULT: {verdict} (the three must-be-0 rows)")
        return "\n".join(out)

    # -- all of it -----------------------------------------------------------------------------
    def run(self) -> Report:
        self.setup()
        self.start_processes()
        threads = [
            threading.Thread(target=self.watch, name="watch", daemon=True),
            threading.Thread(target=self.inject_faults, name="faults", daemon=True),
            threading.Thread(target=self.chaos, name="chaos", daemon=True),
        ]
        for t in threads:
            t.start()
        self.event(f"traffic: {self.plan.trips} trips over {self.plan.traffic_seconds:.0f} s")
        self.traffic()  # returns once every trip (with its resends) is done
        self.event(f"traffic done: {len(self.outcomes)} trips")
        threads[1].join(timeout=5)
        threads[2].join(timeout=max(1.0, self.left() - 60))
        from sandbox.models import SandboxFault

        SandboxFault.objects.all().delete()  # the engine now recovers in calm weather
        self.event("faults cleared; waiting for quiescence")
        self.quiesce()
        self.stop.set()
        threads[0].join(timeout=5)
        self.measure()
        return self.report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="80 trips (the e2e test's run)")
    parser.add_argument("--trips", type=int)
    parser.add_argument("--traffic-seconds", type=float)
    parser.add_argument("--quiesce-seconds", type=float)
    parser.add_argument("--deadline-seconds", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--database", help="the PostgreSQL database to drop and create")
    parser.add_argument("--json", help="write the report as JSON to this file")
    parser.add_argument("--logs", help="folder for the processes' logs (default: a temp dir)")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless the rows are 0")
    args = parser.parse_args(argv)

    plan = Plan(**(QUICK if args.quick else {}))
    for name in ("trips", "traffic_seconds", "quiesce_seconds", "deadline_seconds", "seed"):
        if getattr(args, name) is not None:
            setattr(plan, name, getattr(args, name))
    if args.database:
        plan.database = args.database
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("chaos: skipped, DATABASE_URL must point at PostgreSQL")
        return 0
    if shutil.which("redis-server") is None:
        print("chaos: skipped, redis-server is not on PATH")
        return 0
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="jwo-chaos-"))
    logs.mkdir(parents=True, exist_ok=True)
    print(f"chaos: {plan.trips} trips, logs in {logs}", flush=True)

    run = ChaosRun(plan, logs)

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):  # also where a shell started it ignoring SIGINT
        signal.signal(sig, interrupted)
    alarm = threading.Timer(
        plan.deadline_seconds + 60, lambda: os.kill(os.getpid(), signal.SIGTERM)
    )
    alarm.daemon = True
    alarm.start()
    try:
        report = run.run()
    except KeyboardInterrupt as exc:
        print(f"chaos: interrupted ({exc}); stopping every process", flush=True)
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # the cleanup is not interrupted
            signal.signal(sig, signal.SIG_IGN)
        alarm.cancel()
        run.stop.set()
        if run.sup is not None:
            run.sup.stop_all()
    print(run.table(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=2, default=str))
    return 1 if args.strict and not report.zero_rows_ok() else 0


if __name__ == "__main__":
    sys.exit(main())
