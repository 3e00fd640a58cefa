"""Settings shared by every environment, read from the environment through django-environ.

The variables and their embedded defaults are listed in README.md ("Configuration").
"""

from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def filesystem_broker_options(folder: Path) -> dict:
    """Transport options of kombu's filesystem broker rooted at ``folder`` (created on demand)."""
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "jwo_console",
    "stores",
    "django_filters",
    "shoppers",
    "catalog",
    "orders",
    "payments",
    "alerts",
    "stock",
    "connector",
    "portal",
    "feeds",
    "reconciliation",
    "dashboard",
    "sandbox",  # its URLs are mounted only when JWO_SANDBOX is on
]

MIDDLEWARE = [
    "jwo_console.middleware.RequestIdMiddleware",
    "jwo_console.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "jwo_console.urls"
WSGI_APPLICATION = "jwo_console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jwo_console.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite by default (no server to install); PostgreSQL through DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# Persistent connections (checked before reuse): a new PostgreSQL connection per request costs
# more than a whole gate call (bench/_profile_connector.py). 0 closes after every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for a lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored in UTC; pages convert to the store's zone
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Money (STYLE.md guideline 4) -------------------------------------------------------------
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
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

# --- Amazon JWO and the sandbox (ARCHITECTURE.md "Configuration") ----------------------------
JWO_REGION = env("JWO_REGION", default="us-east-1")
JWO_SANDBOX = env.bool("JWO_SANDBOX", default=False)
# Accept the current and the previous secret so the gateway's secret can be rotated.
JWO_CONNECTOR_SECRET = env("JWO_CONNECTOR_SECRET", default="")
JWO_CONNECTOR_SECRET_PREVIOUS = env("JWO_CONNECTOR_SECRET_PREVIOUS", default="")
# What the connector refuses (README, "The connector"): bodies over this size (413, a preview is
# kept), nesting deeper than this (400), and more than this many requests per store (429).
JWO_CONNECTOR_MAX_BODY_BYTES = env.int("JWO_CONNECTOR_MAX_BODY_BYTES", default=1_048_576)
JWO_CONNECTOR_MAX_DEPTH = env.int("JWO_CONNECTOR_MAX_DEPTH", default=16)
JWO_CONNECTOR_RATE_PER_STORE = env("JWO_CONNECTOR_RATE_PER_STORE", default="3000/second")
# A cart line's quantity is at most this (and has at most 3 decimal places).
JWO_CART_MAX_QUANTITY = env.int("JWO_CART_MAX_QUANTITY", default=999)
# Further values an enum of Amazon's accepts without a release (connector/enums.py):
# JWO_ENUM_LOCATION=EXIT,KIOSK adds two locations. One variable per enum.
JWO_CONNECTOR_ENUM_EXTRA = {
    name: env.list(f"JWO_ENUM_{name}", default=[])
    for name in (
        "LOCATION",
        "KEY_CHANNEL",
        "SCAN_RESULT_TYPE",
        "EXTERNAL_ID_TYPE",
        "CART_ITEM_TYPE",
        "PAYLOAD_TYPE",
        "SHOPPER_KEY_TYPE",
        "GATE_EVENT_TYPE",
        "INTERACTION_TYPE",
        "AUTHORIZATION_CONDITION",
        "SHOPPER_RISK",
    )
}

# Outbound calls to Amazon (integrations/amazon/config.py explains the order of resolution).
JWO_ENVIRONMENT = env("JWO_ENVIRONMENT", default="test")  # Amazon's "test" or "production" hosts
JWO_CATALOG_URL = env("JWO_CATALOG_URL", default="")
JWO_PAYMENTS_URL = env("JWO_PAYMENTS_URL", default="")
JWO_CHECKOUT_URL = env("JWO_CHECKOUT_URL", default="")
JWO_FEEDBACK_URL = env("JWO_FEEDBACK_URL", default="")
JWO_ROLE_ARN = env("JWO_ROLE_ARN", default="")
JWO_STS_ENDPOINT_URL = env("JWO_STS_ENDPOINT_URL", default="")
JWO_USE_AWS_CREDENTIALS = env.bool("JWO_USE_AWS_CREDENTIALS", default=False)
JWO_HTTP_CONNECT_TIMEOUT = env.float("JWO_HTTP_CONNECT_TIMEOUT", default=3.05)
JWO_HTTP_READ_TIMEOUT = env.float("JWO_HTTP_READ_TIMEOUT", default=10.0)
JWO_HTTP_MAX_ATTEMPTS = env.int("JWO_HTTP_MAX_ATTEMPTS", default=4)
JWO_HTTP_MAX_INLINE_RETRY_AFTER = env.float("JWO_HTTP_MAX_INLINE_RETRY_AFTER", default=30.0)
JWO_FEEDBACK_TIME_UNIT = env("JWO_FEEDBACK_TIME_UNIT", default="ms")  # "ms" or "s"
JWO_CALL_LOG_RETENTION_DAYS = env.int("JWO_CALL_LOG_RETENTION_DAYS", default=30)

# The sandbox that plays Amazon (sandbox/), and the key pair its gateway accepts.
JWO_SANDBOX_URL = env("JWO_SANDBOX_URL", default="http://127.0.0.1:8000/sandbox")
JWO_SANDBOX_ACCESS_KEY_ID = env("JWO_SANDBOX_ACCESS_KEY_ID", default="AKIDJWOSANDBOX")
JWO_SANDBOX_SECRET_ACCESS_KEY = env("JWO_SANDBOX_SECRET_ACCESS_KEY", default="sandbox-secret-key")
JWO_SANDBOX_CONNECTOR_URL = env("JWO_SANDBOX_CONNECTOR_URL", default="http://127.0.0.1:8000")
# The Checkout page does not say whether unitPrice.price is per unit or per line: "line" (the
# line's shelf amount; totalPrice = price - promotions + salesTax) or "unit" (times the quantity).
JWO_CHECKOUT_PRICE_PER = env("JWO_CHECKOUT_PRICE_PER", default="line")
SANDBOX_AUTO_REGISTER_STORES = env.bool("SANDBOX_AUTO_REGISTER_STORES", default=True)
# Where Amazon's catalog upload notifications arrive (the retailer's SQS queue).
JWO_CATALOG_SQS_QUEUE_URL = env("JWO_CATALOG_SQS_QUEUE_URL", default="")
JWO_CATALOG_SQS_QUEUE_NAME = env("JWO_CATALOG_SQS_QUEUE_NAME", default="")
JWO_CATALOG_SQS_ENDPOINT_URL = env("JWO_CATALOG_SQS_ENDPOINT_URL", default="")
CATALOG_UPLOAD_BATCH_SIZE = env.int("CATALOG_UPLOAD_BATCH_SIZE", default=10_000)
CATALOG_UPLOAD_CONCURRENCY = env.int("CATALOG_UPLOAD_CONCURRENCY", default=2)
CATALOG_POLL_AFTER_SECONDS = env.int("CATALOG_POLL_AFTER_SECONDS", default=30)
SANDBOX_CATALOG_STEP_SECONDS = env.float("SANDBOX_CATALOG_STEP_SECONDS", default=2.0)
SANDBOX_REPORT_LINK_TTL_SECONDS = env.int("SANDBOX_REPORT_LINK_TTL_SECONDS", default=3600)
SANDBOX_SQS_ENDPOINT_URL = env("SANDBOX_SQS_ENDPOINT_URL", default="")
SANDBOX_SQS_QUEUE_NAME = env("SANDBOX_SQS_QUEUE_NAME", default="jwo-catalog-notifications")

# Scan Key Codes (shoppers/scankeys.py): the prefix the Merchant Portal's QR pattern expects, and
# how old a code may be when scanned (Amazon: pick within 30-90 s).
JWO_SCAN_KEY_PREFIX = env("JWO_SCAN_KEY_PREFIX", default="JWO")
JWO_SCAN_KEY_MAX_AGE_SECONDS = env.int("JWO_SCAN_KEY_MAX_AGE_SECONDS", default=60)

# Loyalty providers (integrations/loyalty). With the sandbox on, it plays both.
YINZCAM_URL = env("YINZCAM_URL", default="")
YINZCAM_API_KEY = env("YINZCAM_API_KEY", default="sandbox-loyalty-key")
VENUENEXT_URL = env("VENUENEXT_URL", default="")
VENUENEXT_API_KEY = env("VENUENEXT_API_KEY", default="sandbox-loyalty-key")
SANDBOX_LOYALTY_API_KEY = env("SANDBOX_LOYALTY_API_KEY", default="sandbox-loyalty-key")

# Payments (payments/): the automatic retry schedule over the retry window, counted from the
# order's creation (minutes), the staff Retry cooldown, how soon a PENDING adjust is asked again,
# how long an attempt holds its lease (longer than the transport's retries take), refunds.
JWO_PAYMENT_ON_PRICED = env.bool("JWO_PAYMENT_ON_PRICED", default=True)
JWO_RETRY_WINDOW_HOURS = env.int("JWO_RETRY_WINDOW_HOURS", default=48)
JWO_RETRY_SCHEDULE_MINUTES = env.list(
    "JWO_RETRY_SCHEDULE_MINUTES", cast=float, default=[15, 60, 240, 480, 960, 1440, 2160, 2820]
)
JWO_RETRY_COOLDOWN_MINUTES = env.int("JWO_RETRY_COOLDOWN_MINUTES", default=5)
JWO_PENDING_RETRY_SECONDS = env.int("JWO_PENDING_RETRY_SECONDS", default=120)
JWO_TRANSIENT_RETRY_SECONDS = env.int("JWO_TRANSIENT_RETRY_SECONDS", default=300)
JWO_ATTEMPT_LEASE_SECONDS = env.int("JWO_ATTEMPT_LEASE_SECONDS", default=120)
JWO_REFUND_WINDOW_DAYS = env.int("JWO_REFUND_WINDOW_DAYS", default=30)  # Amazon's page says 7
# The sweep (payments/sweep.py): how often beat runs it, how long a claimed order waits before it
# is claimed again (its task lost), how soon the sweep takes over an action whose task was queued
# at a commit and never ran.
JWO_SWEEP_SECONDS = env.float("JWO_SWEEP_SECONDS", default=30.0)
JWO_SWEEP_CLAIM_SECONDS = env.int("JWO_SWEEP_CLAIM_SECONDS", default=300)
JWO_TASK_GRACE_SECONDS = env.int("JWO_TASK_GRACE_SECONDS", default=60)
# A capture without an answer: how soon Amazon's record is read, and after how many failed reads
# the order waits for a person (Payment outcome unknown — needs review).
JWO_RESOLVE_AFTER_SECONDS = env.int("JWO_RESOLVE_AFTER_SECONDS", default=60)
JWO_RESOLVE_MAX_READS = env.int("JWO_RESOLVE_MAX_READS", default=10)
# A PENDING AdjustCharge is asked again at most this many times for one slot, then ERROR.
JWO_PENDING_MAX_CHECKS = env.int("JWO_PENDING_MAX_CHECKS", default=10)
# The gate's pre-auth lifetime is the processor's (Amazon's pages give no figure): orders not paid
# within JWO_PREAUTH_WARN_HOURS of it are flagged in the grid.
JWO_PREAUTH_LIFETIME_HOURS = env.int("JWO_PREAUTH_LIFETIME_HOURS", default=72)
JWO_PREAUTH_WARN_HOURS = env.int("JWO_PREAUTH_WARN_HOURS", default=12)

# The shopper portal (portal/): one-time sign-in links, how long a portal session lasts without
# use, the rate limits on asking for a link and on card lookups, and the address links use.
PORTAL_LINK_TTL_MINUTES = env.int("PORTAL_LINK_TTL_MINUTES", default=15)
PORTAL_SESSION_IDLE_MINUTES = env.int("PORTAL_SESSION_IDLE_MINUTES", default=30)
PORTAL_SIGNIN_RATE_PER_EMAIL = env("PORTAL_SIGNIN_RATE_PER_EMAIL", default="5/15minutes")
PORTAL_SIGNIN_RATE_PER_IP = env("PORTAL_SIGNIN_RATE_PER_IP", default="30/hour")
PORTAL_LOOKUP_RATE_PER_IP = env("PORTAL_LOOKUP_RATE_PER_IP", default="10/hour")
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JWO Console <receipts@jwo-console.example>")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# The retailer's card processor for balance payoffs (integrations/processor): a hosted payment
# page, so no card number reaches this server. With the sandbox on and no URL, it plays the
# processor at /sandbox/processor.
PROCESSOR_URL = env("PROCESSOR_URL", default="")
PROCESSOR_API_KEY = env("PROCESSOR_API_KEY", default="sandbox-processor-key")
SANDBOX_PROCESSOR_API_KEY = env("SANDBOX_PROCESSOR_API_KEY", default="sandbox-processor-key")
# ReportPaymentStatus (Amazon-managed F&A): how soon a report Amazon did not accept is resent.
JWO_FEEDBACK_RETRY_SECONDS = env.int("JWO_FEEDBACK_RETRY_SECONDS", default=60)

# Amazon's reporting (feeds/): the intra-day files' bucket and queue, the event feed's key and
# queue, and the column mapping of the files (headers → fields; the admin's rows add to it).
# The sandbox writes files with exactly these headers (sandbox/reporting.py).
JWO_INTRADAY_S3_BUCKET = env("JWO_INTRADAY_S3_BUCKET", default="")
JWO_INTRADAY_S3_PREFIX = env("JWO_INTRADAY_S3_PREFIX", default="")
JWO_INTRADAY_S3_ENDPOINT_URL = env("JWO_INTRADAY_S3_ENDPOINT_URL", default="")
JWO_INTRADAY_SQS_QUEUE_URL = env("JWO_INTRADAY_SQS_QUEUE_URL", default="")
JWO_INTRADAY_SQS_QUEUE_NAME = env("JWO_INTRADAY_SQS_QUEUE_NAME", default="")
JWO_REPORTING_SQS_ENDPOINT_URL = env("JWO_REPORTING_SQS_ENDPOINT_URL", default="")
JWO_EVENT_SQS_QUEUE_URL = env("JWO_EVENT_SQS_QUEUE_URL", default="")
JWO_EVENT_SQS_QUEUE_NAME = env("JWO_EVENT_SQS_QUEUE_NAME", default="")
# The shared header EventBridge's API destination sends (X-JWO-Event-Key); the previous key is
# accepted too while rotating, as for the connector secret.
JWO_EVENT_FEED_KEY = env("JWO_EVENT_FEED_KEY", default="")
JWO_EVENT_FEED_KEY_PREVIOUS = env("JWO_EVENT_FEED_KEY_PREVIOUS", default="")
JWO_INTRADAY_COLUMNS = env.json(
    "JWO_INTRADAY_COLUMNS",
    default={
        "order_id": "trip_id",
        "store_id": "store_id",
        "order_time": "ordered_at",
        "order_status": "status",
        "currency": "currency",
        "order_total": "order_total",
        "captured_amount": "captured",
        "refunded_amount": "refunded",
        "line_id": "line_id",
        "sku": "sku",
        "quantity": "quantity",
        "line_amount": "line_amount",
        "line_tax": "line_tax",
    },
)
# The sandbox's reporting (sandbox/reporting.py): how often it writes a file and posts events.
SANDBOX_REPORTING_INTERVAL_SECONDS = env.int("SANDBOX_REPORTING_INTERVAL_SECONDS", default=900)
SANDBOX_INTRADAY_BUCKET = env("SANDBOX_INTRADAY_BUCKET", default="jwo-intraday-reports")
SANDBOX_INTRADAY_QUEUE_NAME = env("SANDBOX_INTRADAY_QUEUE_NAME", default="jwo-intraday-files")

# --- Alerts (alerts/services.py) -------------------------------------------------------------
# Who is e-mailed about an alert whose store has no alert e-mails (and house-wide ones), and a
# Slack-compatible incoming webhook that gets {"text": ...} when an alert opens.
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[])
ALERT_WEBHOOK_URL = env("ALERT_WEBHOOK_URL", default="")

# --- Health -----------------------------------------------------------------------------------
HEALTH_BROKER_TIMEOUT_SECONDS = 3
HEALTH_WORKER_STALE_AFTER_SECONDS = 5 * 60
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
    "amazon-call-log-purge": {
        "task": "jwo_console.tasks.amazon_calls_purge_task",
        "schedule": 3600.0,
    },
}

# --- DRF --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "jwo_console.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Logging: one JSON object a line, carrying the request id ---------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")  # "json" or "text"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jwo_console.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

from .operations import *  # noqa: E402, F403
