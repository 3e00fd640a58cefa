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
import json
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from _common import free_port
from chaos_processes import Processes, preflight, run_supervised
from chaos_support import (
    HOST,
    QUICK,
    SECRET,
    Plan,
    Report,
    Supervisor,
    _blank,
)


class ChaosRun(Processes):
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
    logs = preflight("chaos", args.logs)
    if logs is None:
        return 0
    print(f"chaos: {plan.trips} trips, logs in {logs}", flush=True)
    run = ChaosRun(plan, logs)
    report = run_supervised("chaos", run, plan.deadline_seconds + 60)
    if report is None:
        return 130
    print(run.table(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=2, default=str))
    return 1 if args.strict and not report.zero_rows_ok() else 0


if __name__ == "__main__":
    sys.exit(main())
