"""bench/rush.py's figures and its dealings with the machine: CPU by process, the calls file,
PostgreSQL backends reniced by the application_name their process connects with."""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

BACK_OFFICE_APP_PREFIX = "jwo-back-office"  # PGAPPNAME of the workers, beat and the sandbox
GATE_APP_PREFIX = "jwo-gate"  # of the connector's gunicorn and the gate simulator


def _renice_sessions(prefix: str, nice: int, done: set[int]) -> dict[int, str]:
    """Give each PostgreSQL backend of this database whose application_name starts with
    ``prefix`` (and not in ``done``) the nice value ``nice``, as ``renice`` would; returns the
    backends left as they were, with why. Only a pid that is that backend on this machine (its
    process title names the client's port) is touched."""
    from django.db import connection

    refused: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, client_port FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name LIKE %s AND pid <> pg_backend_pid()",
            [prefix + "-%"],
        )
        rows = cursor.fetchall()
    for pid, port in rows:
        if pid in done:
            continue
        done.add(pid)
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not title.startswith("postgres:") or f"({port})" not in title:
                refused[pid] = "not that PostgreSQL backend on this machine"
                continue
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except (OSError, UnicodeDecodeError) as exc:
            refused[pid] = repr(exc)
    return refused


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


@dataclass
class RushFigures:
    idle: dict = field(default_factory=dict)  # endpoint -> (n, p50, p99) ms
    rush: dict = field(default_factory=dict)
    cart_to_final: tuple = ()
    cart_to_paid: tuple = ()
    largest_backlog: int = 0  # orders not final at once
    largest_queue: dict = field(default_factory=dict)  # Redis queue -> longest seen
    email_delay: dict = field(default_factory=dict)  # kind -> (n, p50, p99) s
    gate_errors: int = 0
    gate_failures: list = field(default_factory=list)  # the first few: endpoint, status, answer
    order_errors: int = 0
    task_errors: int = 0
    lost: int = 0
    nproc: int = 0
    load: tuple = ()
    cpu: dict = field(default_factory=dict)  # role -> CPU seconds during rush and drain
    timeline: list = field(default_factory=list)  # (s since the rush began, open, final/s)
    connections: int = 0  # PostgreSQL sessions opened on the run's database, rush and drain


def _session_cpu() -> dict[int, float]:
    """CPU seconds (user + system, their own and their ended children's) of every process on
    the machine, by its session id."""
    tick = os.sysconf("SC_CLK_TCK")
    by: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name_end = stat.rindex(")")
        fields = stat[name_end + 2 :].split()
        comm = stat[stat.index("(") + 1 : name_end]
        key = -1 if comm.startswith("postgres") else int(fields[3])  # all PostgreSQL as one
        # utime + stime, and cutime + cstime: children that ended and were waited for (the
        # postmaster's backends of closed connections: left out, PostgreSQL looked idle)
        used = sum(int(v) for v in fields[11:15])
        by[key] = by.get(key, 0.0) + used / tick
    # The machine's busy time (/proc/stat), which also holds processes that ended meanwhile
    # (a PostgreSQL backend per new connection, say): the processes above do not.
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, _steal = (int(v) for v in cpu[:8])
    by[-2] = (user + nice + system + irq + softirq) / tick  # not steal: another tenant's
    return by


def write_calls(path: Path, run) -> None:
    """One JSON line per gate call: which phase (split as the run split its outcomes: the idle
    trips that came back, the first ``idle_warmup`` of them not counted), the endpoint, when it
    was sent, how long."""
    idle = len(run.idle_outcomes)
    with path.open("w") as out:
        for n, outcome in enumerate(run.outcomes):
            phase = "warmup" if n < run.plan.idle_warmup else "idle" if n < idle else "rush"
            for step in outcome.steps:
                if step.at:
                    row = {"phase": phase, "endpoint": step.endpoint, "at": step.at,
                           "ms": round(step.ms, 2), "status": step.status}  # fmt: skip
                    out.write(json.dumps(row) + "\n")
