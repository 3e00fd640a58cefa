"""Operations settings (issue 15): the broker choice and the beat lock.

Imported at the end of base.py, so a value here replaces base's. Read from the environment only.
"""

import environ

_env = environ.Env()

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

# --- The beat lock (jwo_console/beatlock.py) --------------------------------------------------
# Beat runs with this scheduler: it sends scheduled tasks only while it holds the lease (a row of
# jwo_console.BeatLease), renews it every BEAT_LOCK_RENEW_SECONDS, and a second beat waits as a
# standby, sending nothing, until the lease has expired (BEAT_LOCK_LEASE_SECONDS).
CELERY_BEAT_SCHEDULER = "jwo_console.beatlock:LeasedScheduler"
BEAT_LOCK_NAME = _env("BEAT_LOCK_NAME", default="celery-beat")
BEAT_LOCK_LEASE_SECONDS = _env.float("BEAT_LOCK_LEASE_SECONDS", default=60.0)
BEAT_LOCK_RENEW_SECONDS = _env.float("BEAT_LOCK_RENEW_SECONDS", default=15.0)
