"""Operations settings (imported at the end of base.py)."""

import environ

_env = environ.Env()

# --- Metrics (ops/views.py) -------------------------------------------------------------------
# When set, /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" (401 otherwise). Empty:
# /metrics is open, so keep it reachable only from the monitoring network (README).
METRICS_TOKEN = _env("METRICS_TOKEN", default="")
