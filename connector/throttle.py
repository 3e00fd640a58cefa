"""A per-store limit on the connector (``JWO_CONNECTOR_RATE_PER_STORE``, e.g. ``3000/second``):
the ``limits`` library's fixed window, in Redis when ``REDIS_URL`` is set (one count shared by
every web process, like portal/ratelimit.py and integrations/amazon/ratelimit.py), in memory
otherwise. Over the limit the connector answers 429 with ``Retry-After``."""

import logging
import math
import threading
import time
from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

PREFIX = "jwo-connector"
logger = logging.getLogger(__name__)
_made: dict[str, FixedWindowRateLimiter] = {}
_making = threading.Lock()


def _limiter(url: str) -> FixedWindowRateLimiter:
    """One limiter per process, made under a lock: the ``limits`` library checks its driver's
    version lazily, and threads doing that at once see version 0.0.0 and fail."""
    limiter = _made.get(url)
    if limiter is None:
        with _making:
            limiter = _made.get(url)
            if limiter is None:
                limiter = FixedWindowRateLimiter(storage_from_string(url or "memory://"))
                _made[url] = limiter
    return limiter


@cache
def _item(rate: str) -> RateLimitItem:
    return parse(rate)


def store_hit(store_id: str) -> int:
    """Count one request for the store: 0 when it may go on, else the seconds to wait."""
    rate = settings.JWO_CONNECTOR_RATE_PER_STORE
    if not rate or rate == "off":
        return 0
    item = _item(rate)
    try:
        limiter = _limiter(settings.REDIS_URL or "")
        if limiter.hit(item, PREFIX, store_id):
            return 0
        reset_at = limiter.get_window_stats(item, PREFIX, store_id).reset_time
    except Exception:  # the limiter's store is down: the gate must not close for that
        logger.warning("connector throttle unavailable", exc_info=True)
        return 0
    return max(1, math.ceil(reset_at - time.time()))


def reset() -> None:
    _limiter(settings.REDIS_URL or "").storage.reset()
