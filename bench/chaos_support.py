"""The chaos run's parts (bench/chaos.py): the plan, the process supervisor and its waits, the
console's Celery queues, the classifier that decides what the table says, and the report."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import ROOT

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
