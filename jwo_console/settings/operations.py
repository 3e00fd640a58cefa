"""Settings added by operations work (alerts, timeouts, limits …), imported last by base.py.

Put new settings here rather than in the concern modules, so that work splitting or moving those
modules does not collide with yours.
"""

import environ

_env = environ.Env()

# Exactly one beat sends the periodic tasks (jwo_console/beat.py): the holder of a lease in the
# database, renewed every third of it; a standby takes over within this many seconds.
CELERY_BEAT_SCHEDULER = "jwo_console.beat:LeasedScheduler"
JWO_BEAT_LEASE_SECONDS = _env.int("JWO_BEAT_LEASE_SECONDS", default=30)

# --- Metrics (ops/views.py) -------------------------------------------------------------------
# When set, /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" (401 otherwise). Empty:
# /metrics is open, so keep it reachable only from the monitoring network (README).
METRICS_TOKEN = _env("METRICS_TOKEN", default="")

# --- Broker -----------------------------------------------------------------------------------
# CELERY_BROKER_URL, when set, wins over REDIS_URL (base.py) as the broker:
#   RabbitMQ: amqp://guest:guest@127.0.0.1:5672//
#   SQS:      sqs://  (credentials from the machine's IAM role), with CELERY_SQS_REGION and,
#             optionally, CELERY_SQS_QUEUE_PREFIX (e.g. "jwo-prod-") naming the queues.
# Redis (REDIS_URL) stays the cache and the default broker; the queues are the same whichever
# broker carries them (base.py CELERY_TASK_QUEUES).
_BROKER_URL = _env("CELERY_BROKER_URL", default="")
if _BROKER_URL:
    CELERY_BROKER_URL = _BROKER_URL
    if _BROKER_URL.startswith("sqs"):
        # A message a lost worker had taken comes back after this long; longer than the
        # longest task (base.py CELERY_TASK_TIME_LIMIT).
        CELERY_BROKER_TRANSPORT_OPTIONS = {
            "region": _env("CELERY_SQS_REGION", default="us-east-1"),
            "visibility_timeout": 600,
            "queue_name_prefix": _env("CELERY_SQS_QUEUE_PREFIX", default=""),
            "polling_interval": 1,
        }
    else:
        # RabbitMQ redelivers an unacknowledged message when its consumer's connection drops;
        # no visibility timeout to set.
        CELERY_BROKER_TRANSPORT_OPTIONS = {}

# --- Connectivity test (connectivity/) -----------------------------------------------------------
# The console's public URL as Amazon reaches it (the URL onboarded in the Merchant Portal; the
# connector serves /v1/... at its root). Empty: PORTAL_BASE_URL.
JWO_CONNECTOR_PUBLIC_URL = _env("JWO_CONNECTOR_PUBLIC_URL", default="")
# A run still open this long after it was asked for lost its task (longer than a task may live,
# CELERY_TASK_TIME_LIMIT): it is finished as interrupted when looked at.
JWO_CONNECTIVITY_STALE_MINUTES = _env.int("JWO_CONNECTIVITY_STALE_MINUTES", default=10)
# A run open this long with no check finished lost its worker (killed mid-run): it is finished as
# interrupted when looked at, and a merchant may start another.
JWO_CONNECTIVITY_NO_PROGRESS_MINUTES = _env.int("JWO_CONNECTIVITY_NO_PROGRESS_MINUTES", default=2)
# Each check's total time (however slowly the other side answers), and the whole run's: checks
# not started when the run's time is up are not run.
JWO_CONNECTIVITY_CHECK_SECONDS = _env.float("JWO_CONNECTIVITY_CHECK_SECONDS", default=8.0)
JWO_CONNECTIVITY_RUN_SECONDS = _env.float("JWO_CONNECTIVITY_RUN_SECONDS", default=40.0)
