"""The chaos harness (bench/chaos.py): ``local`` with every beat schedule at most
``CHAOS_BEAT_SECONDS`` apart, so that sweeps and pollers run often enough for a run of minutes.

Everything else comes from the environment as in ``local``; the harness shortens the payment
schedules through the variables ``base`` reads (JWO_RETRY_SCHEDULE_MINUTES and the others).
Never used outside the harness.
"""

from .local import *  # noqa: F403
from .local import CELERY_BEAT_SCHEDULE, env

CHAOS_BEAT_SECONDS = env.float("CHAOS_BEAT_SECONDS", default=3.0)
for _entry in CELERY_BEAT_SCHEDULE.values():
    _schedule = _entry.get("schedule")
    if isinstance(_schedule, int | float) and _schedule > CHAOS_BEAT_SECONDS:
        _entry["schedule"] = CHAOS_BEAT_SECONDS
