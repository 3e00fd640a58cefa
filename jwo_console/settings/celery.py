"""Celery: the broker (Redis or the embedded filesystem broker), queues, routes, beat."""

from pathlib import Path

from kombu import Queue

from .environment import VAR_DIR, env, filesystem_broker_options
from .payments import JWO_SWEEP_SECONDS

REDIS_URL = env("REDIS_URL", default="")
# The rate limiters' keys in Redis (jwo_console/ratelimits.py) start with this.
RATE_LIMIT_KEY_PREFIX = env("RATE_LIMIT_KEY_PREFIX", default="LIMITS")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message a lost worker had taken comes back after this long (money tasks acknowledge
    # late); longer than the longest task (CELERY_TASK_TIME_LIMIT).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
else:
    # Embedded broker: kombu's filesystem transport, a folder of message files. A real worker and
    # beat run on it with no server to install. One folder serves producers and consumers alike.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    )
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup closes every database connection before and after each task unless this
# is set (then once every this many tasks of a worker process): a new PostgreSQL backend per
# task, 4.2 new connections an exit in the halftime rush (bench/rush.py).
# Workers keep their connections as web requests do instead: jwo_console/celery.py closes them
# by Django's rules (DATABASE_CONN_MAX_AGE, a broken connection) around each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=10_000)
# One message at a time per worker process: nothing waits behind a slow call in a prefetch.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues, so e-mails and gate-critical work never wait behind pricing or catalog uploads. A
# worker started without -Q consumes all of them; production runs one pool per queue (README).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue("critical"),  # shoppers' e-mails, the heartbeat
    Queue("money"),  # pricing, payments, refunds, reports to Amazon
    Queue("celery"),  # everything else
    Queue("bulk"),  # catalog imports and uploads
]
CELERY_TASK_ROUTES = {
    "portal.tasks.*": {"queue": "critical"},
    "jwo_console.tasks.heartbeat_task": {"queue": "critical"},
    "payments.tasks.*": {"queue": "money"},
    "catalog.tasks.*": {"queue": "bulk"},
}

CELERY_BEAT_SCHEDULE = {
    # Proves that beat and a worker are alive; /healthz shows how long ago it ran.
    "worker-heartbeat": {"task": "jwo_console.tasks.heartbeat_task", "schedule": 60.0},
    # Drop recorded Amazon calls older than JWO_CALL_LOG_RETENTION_DAYS, once an hour.
    # Catalog: results by notification (every 10 s), polling as the fallback, the merchants'
    # incremental sync schedules (every minute).
    "catalog-notifications": {
        "task": "catalog.tasks.catalog_notifications_consume_task",
        "schedule": 10.0,
    },
    "catalog-results-poll": {"task": "catalog.tasks.catalog_uploads_poll_task", "schedule": 30.0},
    "catalog-sync-schedules": {
        "task": "catalog.tasks.catalog_sync_schedules_task",
        "schedule": 60.0,
    },
    # Every order whose next action is due (price, pay, resume, resolve, receipt), one task each.
    "orders-sweep": {"task": "payments.tasks.orders_sweep_task", "schedule": JWO_SWEEP_SECONDS},
    # Approved refunds whose answer or task was lost: sent again with the same request id.
    "refunds-resend": {"task": "payments.tasks.refunds_resend_task", "schedule": 60.0},
    # Portal payoffs and F&A reports: confirm payoffs whose shopper never came back from the
    # processor's page, and resend payment-status reports Amazon has not accepted yet.
    "payoff-reconcile": {"task": "payments.tasks.payoff_reconcile_task", "schedule": 60.0},
    "payment-status-reports": {
        "task": "payments.tasks.payment_status_reports_send_task",
        "schedule": 60.0,
    },
    # Amazon's reporting: file notifications and events from SQS (every 10 s), the bucket
    # listing fallback (every 15 minutes), events whose task never ran (every 20 s), and the
    # daily reconciliation (hourly: each store's yesterday once it has closed for an hour).
    "intraday-notifications": {
        "task": "feeds.tasks.intraday_notifications_consume_task",
        "schedule": 10.0,
    },
    "intraday-bucket-listing": {"task": "feeds.tasks.intraday_bucket_list_task", "schedule": 900.0},
    "feed-events-queue": {"task": "feeds.tasks.feed_events_consume_task", "schedule": 10.0},
    "feed-events-sweep": {"task": "feeds.tasks.feed_events_sweep_task", "schedule": 20.0},
    # The home page's order rollup: the last 49 hours every minute, 32 days every hour.
    "order-stats-recent": {"task": "dashboard.tasks.order_stats_recent_task", "schedule": 60.0},
    "order-stats-history": {"task": "dashboard.tasks.order_stats_history_task", "schedule": 3600.0},
    "reconciliation-daily": {
        "task": "reconciliation.tasks.reconciliation_daily_task",
        "schedule": 3600.0,
    },
    # Stock: put back what orders never charged took (stores that say so), every 10 minutes.
    "stock-unpaid-restore": {
        "task": "stock.tasks.stock_unpaid_restore_sweep_task",
        "schedule": 600.0,
    },
    # Connectivity tests whose task was lost: queued again, or finished as interrupted.
    "connectivity-runs-sweep": {
        "task": "connectivity.tasks.connectivity_runs_sweep_task",
        "schedule": 60.0,
    },
    # Alert rules (ops/rules.py) with each store's thresholds, on the celery queue.
    "alert-rules": {"task": "ops.tasks.alert_rules_evaluate_task", "schedule": 60.0},
    "amazon-call-log-purge": {
        "task": "jwo_console.tasks.amazon_calls_purge_task",
        "schedule": 3600.0,
    },
}
