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
