"""Starting and restarting the chaos run's processes (the ``Processes`` mixin of bench/chaos.py)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from _common import ROOT, fresh_database
from chaos_support import (
    HOST,
    SECRET,
    Classifier,
    Supervisor,
    _http_ok,
    _log_has,
    _redis_ping,
    _wait,
    celery_queues,
)


def preflight(name: str, logs: str | None) -> Path | None:
    """The folder for the processes' logs, or ``None`` (with the reason printed) when this
    machine cannot run ``name``: PostgreSQL and a redis-server binary are needed."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(f"{name}: skipped, DATABASE_URL must point at PostgreSQL")
        return None
    if shutil.which("redis-server") is None:
        print(f"{name}: skipped, redis-server is not on PATH")
        return None
    folder = Path(logs) if logs else Path(tempfile.mkdtemp(prefix=f"jwo-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_supervised(name: str, run, deadline_seconds: float):
    """``run.run()`` with every process stopped afterwards, whatever happens: Ctrl-C, SIGTERM
    (also where a shell started it ignoring SIGINT) or the deadline passing. Its result, or
    ``None`` when interrupted."""

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)
    alarm = threading.Timer(deadline_seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    alarm.daemon = True
    alarm.start()
    try:
        return run.run()
    except KeyboardInterrupt as exc:
        print(f"{name}: interrupted ({exc}); stopping every process", flush=True)
        return None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # the cleanup is not interrupted
            signal.signal(sig, signal.SIG_IGN)
        alarm.cancel()
        run.stop.set()
        if run.sup is not None:
            run.sup.stop_all()


class Processes:
    """The chaos run's processes (a mixin of ``ChaosRun`` in bench/chaos.py): the environment,
    the fresh database, the sandbox catalog, starting every process, restarting a worker,
    Redis and the web."""

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
