"""A per-store limit on the connector (``JWO_CONNECTOR_RATE_PER_STORE``, e.g. ``3000/second``):
the ``limits`` library's fixed window, in Redis when ``REDIS_URL`` is set (one count shared by
every web process, like portal/ratelimit.py and integrations/amazon/ratelimit.py), in memory
otherwise. Over the limit the connector answers 429 with ``Retry-After``.

A generous limit is counted in batches so that a gate call does not wait for Redis: each process
adds its requests to the shared count once it holds 1 % of the limit or every 50 ms, whichever
comes first (a limit under 100 a window is counted request by request, exactly). A store found
over its limit is refused in this process until its window ends, without asking Redis again.
Over-admission is bounded by one batch per process."""

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from jwo_console.ratelimits import rate_limit_storage

PREFIX = "jwo-connector"
SYNC_SECONDS = 0.05
logger = logging.getLogger(__name__)
_made: dict[str, FixedWindowRateLimiter] = {}
_items: dict[str, RateLimitItem] = {}
_lock = threading.Lock()


@dataclass
class _Local:
    pending: int = 0
    synced_at: float = 0.0
    blocked_until: float = 0.0


_local: dict[tuple[str, str], _Local] = {}


def _limiter(url: str) -> FixedWindowRateLimiter:
    """One limiter per process, made under a lock: the ``limits`` library checks its driver's
    version lazily, and threads doing that at once see version 0.0.0 and fail."""
    limiter = _made.get(url)
    if limiter is None:
        with _lock:
            limiter = _made.get(url)
            if limiter is None:
                limiter = FixedWindowRateLimiter(rate_limit_storage(url))
                _made[url] = limiter
    return limiter


def _item(rate: str) -> RateLimitItem:
    item = _items.get(rate)
    if item is None:
        item = _items[rate] = parse(rate)
    return item


def store_hit(store_id: str) -> int:
    """Count one request for the store: 0 when it may go on, else the seconds to wait."""
    rate = settings.JWO_CONNECTOR_RATE_PER_STORE
    if not rate or rate == "off":
        return 0
    item = _item(rate)
    now = time.time()
    batch = max(1, item.amount // 100)
    with _lock:
        state = _local.setdefault((rate, store_id), _Local())
        if state.blocked_until > now:
            return max(1, math.ceil(state.blocked_until - now))
        state.pending += 1
        if state.pending < batch and now - state.synced_at < SYNC_SECONDS:
            return 0
        cost, state.pending, state.synced_at = state.pending, 0, now
    try:
        limiter = _limiter(settings.REDIS_URL or "")
        if limiter.hit(item, PREFIX, store_id, cost=cost):
            return 0
        reset_at = limiter.get_window_stats(item, PREFIX, store_id).reset_time
    except Exception:  # the limiter's store is down: the gate must not close for that
        logger.warning("connector throttle unavailable", exc_info=True)
        return 0
    reset_at = min(reset_at, now + item.get_expiry())  # Redis' TTL rounds up
    with _lock:
        state.blocked_until = reset_at
    return max(1, math.ceil(reset_at - now))


def reset() -> None:
    """Forget every count (tests, and an operator unblocking a store)."""
    with _lock:
        _local.clear()
    _limiter(settings.REDIS_URL or "").storage.reset()
