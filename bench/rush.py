"""The halftime rush (issue 15): can one worker machine keep up while the gate keeps answering?

A fresh PostgreSQL database seeded with the demo data; as subprocesses (bench/chaos.py's
Supervisor) a redis-server, gunicorn serving the console, a second gunicorn serving the sandbox
(Amazon is another machine: its 150 ms waits must not take the connector's threads), two Celery
workers and beat. Every Amazon call the sandbox answers waits 150 ms first (a LATENCY
SandboxFault on every service and operation, never used up). First a few idle trips through the
gate simulator (sandbox/simulator.py), the back office at rest; then the rush: N exits spread
over the rush window, 5 % of cards declining, a tenth of shoppers scanning a loyalty card, and
shoppers asking for portal sign-in links meanwhile (the ``critical`` queue's e-mails). It waits
(bounded) until every order is final and prints the table with the issue's targets.

    .venv/bin/python bench/rush.py              # 5,000 exits in 10 minutes (make bench)
    .venv/bin/python bench/rush.py --quick      # 5,000 exits in 2 minutes
    .venv/bin/python bench/rush.py --quick --exits 600      # a smaller rush while iterating
    .venv/bin/python bench/rush.py --layout before          # the worker layout before issue 15

Worker layouts (``--layout``): ``before`` — two prefork workers of 2 processes each consuming
every queue (Procfile.dev as it was); ``after`` (default) — the layout README "The halftime
rush" describes: ``w1`` takes the money queue on Celery's threads pool (I/O-bound Amazon calls),
``w2`` takes critical, celery and bulk on prefork, so e-mails never wait behind money.

Priorities (layout ``after``): the back office in SCHED_IDLE (``--policy``). ``--gate-nice`` and
``--backends-nice`` renice the connector's and the back office's PostgreSQL sessions (told apart
by ``PGAPPNAME``): experiments, off, as neither helped (README "The halftime rush"). ``--calls``
and ``--access-log`` write every gate call's time and the connector's own timings.

Needs DATABASE_URL pointing at PostgreSQL and ``redis-server`` on PATH; without them it says so
and exits 0. Only 127.0.0.1 is contacted; every subprocess is killed at the end.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from _common import free_port
from _rush_support import (
    BACK_OFFICE_APP_PREFIX,
    GATE_APP_PREFIX,
    RushFigures,
    _renice_sessions,
    _session_cpu,
    pct,
    write_calls,
)
from chaos import ChaosRun
from chaos_processes import preflight, run_supervised
from chaos_support import HOST, Plan, _http_ok, _log_has, _wait


@dataclass
class RushPlan(Plan):
    trips: int = 5000
    traffic_seconds: float = 600.0
    idle_trips: int = 60
    idle_seconds: float = 20.0
    idle_warmup: int = 10  # the first idle trips warm gunicorn's workers up and are not counted
    concurrency: int = 24
    signins: int = 60  # portal sign-in links asked for during the rush
    latency_ms: int = 150  # every Amazon call, at the sandbox
    quiesce_seconds: float = 900.0
    deadline_seconds: float = 2400.0
    database: str = "jwo_bench_rush"
    read_timeout: float = 10.0
    layout: str = "after"
    money_concurrency: int = 16  # threads of the money worker (layout "after")
    # Priorities on one machine (layout "after"): the workers, beat and the sandbox (standing
    # in for Amazon, another machine) in Linux's SCHED_IDLE class (``chrt --idle 0``; they get
    # the CPU only when nothing else wants it) or at ``back_office_nice`` (policy "nice").
    # Experiments (0: off): the connector's gunicorn, its PostgreSQL sessions and the gate
    # simulator (Amazon's gate, another machine) at ``gate_nice`` (root only), the back
    # office's PostgreSQL sessions at ``backends_nice``; measured, neither helped the gate.
    back_office_nice: int = 10
    back_office_policy: str = "idle"
    web_workers: int = 3
    backends_nice: int = 0
    gate_nice: int = 0
    access_log: bool = False  # the console gunicorn's access log (web-access.log, with µs)
    # Declines are retried twice, 12 s and 24 s apart, then left for staff (final).
    schedule_minutes: str = "0.2,0.4"
    short_seconds: int = 5


QUICK = {"traffic_seconds": 120.0, "database": "jwo_bench_rush_quick", "deadline_seconds": 1500.0}

TARGETS = {"gate_ratio": 2.0, "paid_p99": 60.0, "email_p99": 30.0}


class RushRun(ChaosRun):
    SIMULATION = {
        "app_share": 0.3,
        "empty_rate": 0.02,
        "unknown_sku_rate": 0.0,
        "group_rate": 0.05,
        "loyalty_rate": 0.1,
        "purchase_resends": 10,
        "resend_wait": 1.0,
    }
    PROFILES = [("OK", 95), ("DECLINE", 5)]

    def __init__(self, plan: RushPlan, logs: Path) -> None:
        super().__init__(plan, logs)
        self.sandbox_port = free_port()
        self.figures = RushFigures()
        self.signin_links: list[int] = []
        self.queue_max: dict[str, int] = {}
        self.backlog_max = 0
        self.rush_began = 0.0
        self.in_traffic = False  # the gate simulator is sending: snapshot reads only changes
        self.seen: dict[int, str] = {}  # order id -> state at its last read
        self.reniced: dict[str, set[int]] = {}  # PostgreSQL backends looked at, by prefix
        self.backends_refused = False

    def environment(self, db_url: str) -> dict[str, str]:
        env = super().environment(db_url)
        env.update(
            {
                # production's beat schedules (the sweep every 30 s), not the chaos run's
                "DJANGO_SETTINGS_MODULE": "jwo_console.settings.local",
                "JWO_SANDBOX_URL": f"http://{HOST}:{self.sandbox_port}/sandbox",
                "JWO_SWEEP_SECONDS": "30",
                "JWO_INTRADAY_SQS_QUEUE_NAME": "",  # no moto server: Amazon's reporting is off
                "JWO_INTRADAY_S3_BUCKET": "",  # (its bucket listing too: it would ask real S3)
                "JWO_EVENT_SQS_QUEUE_NAME": "",
                "LOG_LEVEL": "WARNING",
                "PORTAL_SIGNIN_RATE_PER_EMAIL": "1000/minute",
                "PORTAL_SIGNIN_RATE_PER_IP": "1000/minute",
            }
        )
        return env

    @property
    def nice(self) -> int:
        return self.plan.back_office_nice if self.plan.layout == "after" else 0

    @property
    def gate_nice(self) -> int:
        """The connector's nice (layout "after"; "before" is the layout before issue 15)."""
        return self.plan.gate_nice if self.plan.layout == "after" else 0

    @property
    def priority(self) -> str:
        p = self.plan
        if p.layout == "after" and p.back_office_policy == "idle":
            own = "in SCHED_IDLE"
        else:
            own = f"at nice {self.nice}"
        if p.layout == "after" and p.backends_nice:
            own += f", its database sessions at nice {p.backends_nice}"
        if self.gate_nice:
            own += f"; the connector and its sessions at nice {self.gate_nice}"
        return own

    def niced(self, argv: list[str], name: str = "back-office") -> list[str]:
        # PGAPPNAME (libpq) names the process's database sessions, so their backends can be
        # given the same priority (renice_sessions)
        named = ["env", f"PGAPPNAME={BACK_OFFICE_APP_PREFIX}-{name}"]
        if self.plan.layout == "after" and self.plan.back_office_policy == "idle":
            return [*named, "chrt", "--idle", "0", *argv]
        return [*named, "nice", "-n", str(self.nice), *argv] if self.nice else [*named, *argv]

    def renice_sessions(self) -> None:
        """PostgreSQL's backends get the priority of the processes they serve.

        On one machine the workers' SQL runs in PostgreSQL's backends at PostgreSQL's
        priority, the gate's beside it. Each backend named by PGAPPNAME is given its processes'
        nice once: the back office's ``backends_nice``, the gate's ``gate_nice`` (0: left).
        """
        p = self.plan
        wanted = [(GATE_APP_PREFIX, self.gate_nice)]
        if p.layout == "after":
            wanted.append((BACK_OFFICE_APP_PREFIX, p.backends_nice))
        for prefix, nice in wanted:
            if not nice:
                continue
            refused = _renice_sessions(prefix, nice, self.reniced.setdefault(prefix, set()))
            if refused and not self.backends_refused:
                self.backends_refused = True
                print(f"  backends left at their priority: {refused}", flush=True)

    def worker_argv(self, name: str) -> list[str]:
        p = self.plan
        base = [*self.niced([sys.executable], name), "-m", "celery", "-A", "jwo_console", "worker"]
        base += ["-n", f"{name}@%h"]
        base += ["--loglevel", "INFO", "--without-mingle", "--without-gossip"]
        if p.layout == "before":
            return [*base, "--concurrency", "2", "-Q", ",".join(self.report.queues)]
        if name == "w1":
            return [*base, "--pool", "threads", "--concurrency", str(p.money_concurrency),
                    "-Q", "money"]  # fmt: skip
        others = [q for q in self.report.queues if q != "money"]
        return [*base, "--concurrency", "2", "-Q", ",".join(others)]

    def start_processes(self) -> None:
        sup, p = self.sup, self.plan
        self.start_redis()
        gunicorn = [sys.executable, "-m", "gunicorn", "jwo_console.wsgi", "--worker-class",
                    "gthread", "--keep-alive", "30", "--timeout", "60",
                    "--log-level", "warning"]  # fmt: skip
        access = ["--access-logfile", str(self.logs / "web-access.log"),
                  "--access-logformat", "%(t)s %(U)s %(s)s %(D)s"]  # fmt: skip
        gate = ["env", f"PGAPPNAME={GATE_APP_PREFIX}-web"]
        if self.gate_nice:
            gate += ["nice", "-n", str(self.gate_nice)]
        sup.start("web", [*gate, *gunicorn, "--bind", f"{HOST}:{self.web_port}",
                          "--workers", str(p.web_workers), "--threads", "8",
                          *(access if p.access_log else [])])  # fmt: skip
        sup.start("sandbox", [*self.niced(gunicorn, "sandbox"), "--bind",
                              f"{HOST}:{self.sandbox_port}", "--workers", "2",
                              "--threads", "16"])  # fmt: skip
        for name in ("w1", "w2"):
            sup.start(name, self.worker_argv(name))
        sup.start("beat", [*self.niced([sys.executable], "beat"), "-m", "celery", "-A",
                           "jwo_console", "beat", "--loglevel", "WARNING", "--schedule",
                           str(self.logs / "celerybeat-schedule")])  # fmt: skip
        for port in (self.web_port, self.sandbox_port):
            _wait(lambda port=port: _http_ok(f"http://{HOST}:{port}/livez"), 60, "gunicorn")
        for name in ("w1", "w2"):
            _wait(lambda n=name: _log_has(self.logs / f"{n}.log", " ready."), 90, f"worker {name}")
        self.event(f"layout {p.layout}: " + " | ".join(
            " ".join(self.worker_argv(n)[-8:]) for n in ("w1", "w2")))  # fmt: skip

    # -- the rush ------------------------------------------------------------------------------
    def latency(self) -> None:
        from sandbox.models import SandboxFault

        SandboxFault.objects.create(
            service="*", operation="*", kind="LATENCY", latency_ms=self.plan.latency_ms
        )

    def snapshot(self) -> Counter:
        """Every order's state, as the chaos run's, reading during traffic only what can change.

        The watch runs in this process beside the gate simulator's threads, and reading every
        order held Python's GIL about 45 ms every 2 s by the end of the rush (5,000 rows,
        classified one by one): the gate calls answered meanwhile waited for it, so the rush's
        gate p99 counted the bench's own reading (the idle trips run without the watch). While
        the simulator sends, orders already final are not read again (nothing in the rush
        reopens one: no staff, no refunds) and only new orders and those not final are; once
        it stops, every order is read again, so an order reopened meanwhile is seen open.
        """
        from django.db import close_old_connections
        from django.db.models import Q

        from orders.models import Order

        now = time.time()
        rows = Order.objects.values(*self.classifier.columns)
        if self.in_traffic and self.seen:
            unsettled = [pk for pk, state in self.seen.items() if state != "final"]
            rows = rows.filter(Q(pk__gt=max(self.seen)) | Q(pk__in=unsettled))
        else:
            self.seen = {}
        for row in rows.iterator(chunk_size=2000):
            state = self.seen[row["id"]] = self.classifier.state(row)
            if state == "open":
                self.final_at.pop(row["id"], None)
            else:
                self.final_at.setdefault(row["id"], now)
        close_old_connections()
        return Counter(self.seen.values())

    def watch(self) -> None:
        """Every 2 s: orders not final (the backlog) and the Redis queues' lengths."""
        import redis

        client = redis.Redis(host=HOST, port=self.redis_port)
        mark, marked_final = time.monotonic(), None
        while not self.stop.wait(2.0):
            try:
                self.renice_sessions()
                states = self.snapshot()
                self.backlog_max = max(self.backlog_max, states["open"])
                now = time.monotonic()
                if marked_final is None:
                    marked_final = states["final"]
                elif now - mark >= 30:
                    rate = (states["final"] - marked_final) / (now - mark)
                    self.figures.timeline.append(
                        (round(now - self.rush_began), states["open"], round(rate, 2))
                    )
                    mark, marked_final = now, states["final"]
                for queue in self.report.queues:
                    self.queue_max[queue] = max(self.queue_max.get(queue, 0), client.llen(queue))
            except Exception as exc:
                print(f"  watch: {exc!r}", flush=True)

    def ask_signins(self) -> None:
        """Shoppers ask for portal sign-in links through the rush (portal/services.py)."""
        from django.db import close_old_connections

        from portal.models import SignInLink
        from portal.services import signin_link_request
        from shoppers.models import Shopper

        emails = list(Shopper.objects.exclude(email="").values_list("email", flat=True)[:50])
        if not emails or not self.plan.signins:
            return
        interval = self.plan.traffic_seconds / self.plan.signins
        for n in range(self.plan.signins):
            if self.stop.wait(interval):
                break
            signin_link_request(email=emails[n % len(emails)], ip=f"127.0.{n // 250}.{n % 250}")
        self.signin_links = list(SignInLink.objects.values_list("pk", flat=True))
        close_old_connections()

    def gate_latencies(self, outcomes) -> dict:
        by: dict[str, list[float]] = {}
        for o in outcomes:
            for step in o.steps:
                by.setdefault(step.endpoint, []).append(step.ms)
                by.setdefault("all gate calls", []).append(step.ms)
        return {k: (len(v), statistics.median(v), pct(v, 0.99)) for k, v in sorted(by.items())}

    def run(self) -> "RushFigures":
        p = self.plan
        self.setup()
        self.start_processes()
        if self.gate_nice:
            # Amazon's gate is another machine: the simulator standing in for it, and its
            # database sessions, get the connector's priority once every process is started
            # (the trips' threads, made later, inherit this thread's nice).
            os.environ["PGAPPNAME"] = f"{GATE_APP_PREFIX}-simulator"
            try:
                os.setpriority(os.PRIO_PROCESS, 0, self.gate_nice)
            except OSError as exc:  # not root: a higher priority needs CAP_SYS_NICE
                print(f"  the simulator keeps its priority: {exc!r}", flush=True)
        self.latency()
        self.renice_sessions()
        self.event(f"idle: {p.idle_trips} trips over {p.idle_seconds:.0f} s")
        self.traffic(trips=p.idle_trips, seconds=p.idle_seconds, first=100_000)
        idle = self.idle_outcomes = list(self.outcomes)  # write_calls splits the same way
        self.figures.idle = self.gate_latencies(idle[p.idle_warmup :])
        self.quiesce()  # the idle trips' orders paid before the rush begins
        threads = [
            threading.Thread(target=self.watch, name="watch", daemon=True),
            threading.Thread(target=self.ask_signins, name="signins", daemon=True),
        ]
        for t in threads:
            t.start()
        self.event(f"rush: {p.trips} exits over {p.traffic_seconds:.0f} s")
        self.rush_began = time.monotonic()
        cpu_before, own_before = _session_cpu(), os.times()
        sessions_before = self.sessions()
        self.in_traffic = True
        try:
            self.traffic()
        finally:
            self.in_traffic = False
        rush = self.outcomes[len(idle) :]
        self.event(f"rush done: {len(rush)} trips; waiting for every order to be final")
        self.figures.rush = self.gate_latencies(rush)
        threads[1].join(timeout=30)
        self.quiesce()
        self.cpu(cpu_before, own_before)
        self.figures.connections = self.sessions() - sessions_before
        self.stop.set()
        threads[0].join(timeout=5)
        self.measure()
        self.measure_rush(rush)
        return self.figures

    def sessions(self) -> int:
        """Sessions PostgreSQL has opened on this run's database so far (PostgreSQL 14+)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def cpu(self, before: dict[int, float], own_before) -> None:
        """CPU seconds each role used from the rush's first exit until every order was final."""
        after, own = _session_cpu(), os.times()
        roles = {"the machine (every process)": -2, "postgresql (all)": -1}
        roles.update({name: proc.pid for name, proc in self.sup.procs.items()})
        cpu = {
            role: round(after.get(sid, 0.0) - before.get(sid, 0.0), 1)
            for role, sid in roles.items()
        }
        cpu["gate simulator + this bench"] = round(
            own.user + own.system - own_before.user - own_before.system, 1
        )
        cpu["wall"] = round(time.monotonic() - self.rush_began, 1)
        self.figures.cpu = cpu

    def measure_rush(self, rush) -> None:
        from orders.models import Order
        from portal.models import ShopperEmail, SignInLink
        from sandbox.models import SandboxTrip

        f, r = self.figures, self.report
        f.largest_backlog = self.backlog_max
        f.largest_queue = dict(self.queue_max)
        sent = {o.trip_id: o.cart_sent_at for o in rush if o.cart_sent_at}
        final, paid = [], []
        for row in Order.objects.filter(trip__trip_id__in=list(sent)).values(
            "id", "status", "completed_at", "trip__trip_id"
        ):
            start = sent[row["trip__trip_id"]]
            if row["status"] == "COMPLETED" and row["completed_at"]:
                paid.append(row["completed_at"].timestamp() - start)
                final.append(paid[-1])
            elif row["id"] in self.final_at:
                final.append(self.final_at[row["id"]] - start)
        f.cart_to_final = (len(final), pct(final, 0.5), pct(final, 0.99))
        f.cart_to_paid = (len(paid), pct(paid, 0.5), pct(paid, 0.99))
        failed = [s for o in rush for s in o.steps if s.status is None or s.status >= 500]
        unanswered = [o for o in rush if o.admitted and o.purchase_status not in (200, 201)]
        f.gate_errors = len(failed) + len(unanswered)
        f.gate_failures = [f"{s.endpoint} {s.status}: {str(s.response)[:160]}" for s in failed][
            :5
        ] + [f"trip {o.trip_id}: purchase {o.purchase_status}" for o in unanswered][:5]
        trips = SandboxTrip.objects.filter(trip_id__in=list(sent))
        profile = dict(trips.values_list("trip_id", "card_profile"))
        # An order in ERROR whose card approves, in review, or never final, is an error.
        f.order_errors = (
            r.in_review
            + r.open_orders
            + sum(
                1
                for trip_id in Order.objects.filter(
                    status="ERROR", trip__trip_id__in=list(sent)
                ).values_list("trip__trip_id", flat=True)
                if profile.get(trip_id) != "DECLINE"
            )
        )
        f.task_errors = sum(
            (self.logs / f"{n}.log").read_text(errors="replace").count("raised unexpected")
            for n in ("w1", "w2")
            if (self.logs / f"{n}.log").exists()
        )
        # Lost: a cart the connector accepted that has no order, or an order never final.
        orders = Order.objects.filter(trip__trip_id__in=list(sent))
        ordered = set(orders.values_list("trip__trip_id", flat=True))
        accepted = {o.trip_id for o in rush if o.cart and o.purchase_status in (200, 201)}
        f.lost = len(accepted - ordered) + r.open_orders
        delays: dict[str, list[float]] = {"sign-in": [], "receipt": []}
        links = dict(SignInLink.objects.values_list("pk", "created_at"))
        completed = dict(
            Order.objects.filter(
                trip__trip_id__in=list(sent), completed_at__isnull=False
            ).values_list("pk", "completed_at")
        )
        for key, sent_at in ShopperEmail.objects.values_list("key", "sent_at"):
            kind, _, pk = key.partition(":")
            if kind == "signin" and int(pk) in links:
                delays["sign-in"].append((sent_at - links[int(pk)]).total_seconds())
            elif kind == "receipt" and int(pk) in completed:
                delays["receipt"].append((sent_at - completed[int(pk)]).total_seconds())
        f.email_delay = {k: (len(v), pct(v, 0.5), pct(v, 0.99)) for k, v in delays.items()}
        f.email_delay["missing sign-in e-mails"] = len(links) - len(delays["sign-in"])
        f.nproc = os.cpu_count() or 0
        f.load = tuple(round(x, 2) for x in os.getloadavg())

    def targets(self) -> list[tuple[str, bool]]:
        f, r = self.figures, self.report
        idle99 = f.idle.get("all gate calls", (0, 0, 0))[2] or 0
        rush99 = f.rush.get("all gate calls", (0, 0, 0))[2] or 0
        emails = [v[2] for k, v in f.email_delay.items() if isinstance(v, tuple) and v[2]]
        return [
            (f"gate-call p99 during the rush <= {TARGETS['gate_ratio']:g}x idle",
             bool(idle99) and rush99 <= TARGETS["gate_ratio"] * idle99),
            (f"cart -> paid p99 <= {TARGETS['paid_p99']:g} s",
             f.cart_to_paid[2] is not None and f.cart_to_paid[2] <= TARGETS["paid_p99"]),
            (f"e-mail delay p99 <= {TARGETS['email_p99']:g} s",
             bool(emails) and max(emails) <= TARGETS["email_p99"]
             and not f.email_delay.get("missing sign-in e-mails")),
            ("0 errors", f.gate_errors + f.order_errors + f.task_errors == 0),
            ("0 lost carts", f.lost == 0),
            ("0 double captures", r.double_captures == 0),
        ]  # fmt: skip

    def table(self) -> str:
        f, r, p = self.figures, self.report, self.plan

        def ms(v) -> str:
            return f"n={v[0]} p50 {v[1]:.0f} ms, p99 {v[2]:.0f} ms" if v and v[0] else "-"

        def sec(v) -> str:
            return f"n={v[0]} p50 {v[1]:.1f} s, p99 {v[2]:.1f} s" if v and v[0] else "-"

        lines = [f"rush: {r.trips - p.idle_trips} exits over {p.traffic_seconds:.0f} s, layout "
                 f"{p.layout} (back office {self.priority}), "
                 f"Amazon answers after {p.latency_ms} ms"]  # fmt: skip
        for endpoint in f.rush:
            lines.append(f"  {endpoint:<28} idle {ms(f.idle.get(endpoint))}  |  rush "
                         f"{ms(f.rush[endpoint])}")  # fmt: skip
        lines += [
            f"  cart -> paid                 {sec(f.cart_to_paid)}",
            f"  cart -> final (incl. declines retried) {sec(f.cart_to_final)}",
            f"  largest backlog              {f.largest_backlog} orders not final; queues "
            + ", ".join(f"{q} {n}" for q, n in f.largest_queue.items()),
            "  e-mail delay                 " + "; ".join(
                f"{k} {sec(v) if isinstance(v, tuple) else v}" for k, v in f.email_delay.items()),
            f"  errors                       gate {f.gate_errors}, orders {f.order_errors}, "
            f"tasks {f.task_errors}",
            *(f"    gate call failed: {failure}" for failure in f.gate_failures),
            f"  double captures              {r.double_captures}",
            f"  lost carts                   {f.lost}",
            f"  orders by state              {r.by_state}",
            f"  nproc {f.nproc}, load average {f.load}, traffic/quiesce/wall "
            f"{r.traffic_seconds}/{r.quiesce_seconds}/{r.wall_seconds} s",
        ]  # fmt: skip
        if f.cpu:
            wall, exits = f.cpu["wall"] or 1.0, max(1, r.trips - p.idle_trips)
            lines.append(f"  CPU from the rush's start until all final ({wall:.0f} s), by process:")
            lines += [f"    {role:<28} {sec:7.1f} s  {100 * sec / wall:5.1f} % of a core  "
                      f"{1000 * sec / exits:6.1f} ms an exit"
                      for role, sec in f.cpu.items() if role != "wall"]  # fmt: skip
        if f.connections:
            lines.append(
                f"  database connections opened  {f.connections} "
                f"({f.connections / max(1, r.trips - p.idle_trips):.1f} an exit)"
            )
        if f.timeline:
            lines.append(
                "  every 30 s (s since the rush began: orders not final, final a second): "
                + ", ".join(f"{t}: {n}, {rate:g}/s" for t, n, rate in f.timeline)
            )
        for name, ok in self.targets():
            lines.append(f"  target {name:<44} {'met' if ok else 'MISSED'}")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 exits in 2 minutes")
    parser.add_argument("--exits", type=int, help="exits in the rush (default 5,000)")
    parser.add_argument("--seconds", type=float, help="the rush window")
    parser.add_argument("--layout", choices=["before", "after"])
    parser.add_argument("--money-concurrency", type=int)
    parser.add_argument("--nice", type=int, help="the back office's nice (default 10; 0 = none)")
    parser.add_argument(
        "--policy",
        choices=["nice", "idle"],
        help="the back office's scheduling (default idle: SCHED_IDLE)",
    )
    parser.add_argument(
        "--backends-nice",
        type=int,
        help="nice of PostgreSQL's backends serving the back office (default 0: as started)",
    )
    parser.add_argument(
        "--gate-nice", type=int, help="nice of the connector and its backends (default 0)"
    )
    parser.add_argument("--json", help="write the figures as JSON to this file")
    parser.add_argument(
        "--calls", help="write every gate call (phase, endpoint, sent at, ms) as JSON lines here"
    )
    parser.add_argument(
        "--access-log", action="store_true", help="the console gunicorn's access log, in µs"
    )
    parser.add_argument("--logs", help="folder for the processes' logs (default: a temp dir)")
    args = parser.parse_args(argv)
    plan = RushPlan(**(QUICK if args.quick else {}))
    if args.exits:
        plan.trips = args.exits
    if args.seconds:
        plan.traffic_seconds = args.seconds
    if args.layout:
        plan.layout = args.layout
    if args.money_concurrency:
        plan.money_concurrency = args.money_concurrency
    if args.nice is not None:
        plan.back_office_nice = args.nice
    if args.policy:
        plan.back_office_policy = args.policy
    plan.access_log = args.access_log
    if args.backends_nice is not None:
        plan.backends_nice = args.backends_nice
    if args.gate_nice is not None:
        plan.gate_nice = args.gate_nice
    plan.signins = min(plan.signins, max(10, plan.trips // 20))
    logs = preflight("rush", args.logs)
    if logs is None:
        return 0
    print(f"rush: {plan.trips} exits over {plan.traffic_seconds:.0f} s, logs in {logs}", flush=True)
    run = RushRun(plan, logs)
    if run_supervised("rush", run, plan.deadline_seconds) is None:
        return 130
    print(run.table(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(run.figures), indent=2, default=str))
    if args.calls:
        write_calls(Path(args.calls), run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
