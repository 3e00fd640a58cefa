"""Amazon's catalog limit (10 requests per second) is for the whole merchant account, so every
worker shares one limiter: a moving window in Redis when ``REDIS_URL`` is set (the ``limits``
library), in this process's memory otherwise (the embedded default runs one worker).

The limiter allows 9 a second, not 10: Amazon counts requests as they arrive, and network
jitter can bunch requests that left a second apart (the guide says to aim well under 10)."""

import time
from collections.abc import Callable

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.strategies import MovingWindowRateLimiter

from jwo_console.ratelimits import rate_limit_storage

CATALOG_REQUESTS_PER_SECOND = 9  # Amazon's limit is 10; one of headroom


class RateLimiter:
    def __init__(
        self,
        *,
        per_second: int = CATALOG_REQUESTS_PER_SECOND,
        storage_url: str | None = None,
        key: str = "jwo-catalog-api",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        url = storage_url if storage_url is not None else (settings.REDIS_URL or "memory://")
        self.limiter = MovingWindowRateLimiter(rate_limit_storage(url))
        self.item = RateLimitItemPerSecond(per_second, 1)
        self.key = key
        self.sleep = sleep

    def acquire(self) -> float:
        """Block until a request may go; returns how long it waited (seconds)."""
        waited = 0.0
        while not self.limiter.hit(self.item, self.key):
            reset_at = self.limiter.get_window_stats(self.item, self.key).reset_time
            pause = min(max(reset_at - time.time(), 0.01), 1.0)
            self.sleep(pause)
            waited += pause
        return waited


_shared: RateLimiter | None = None


def catalog_limiter() -> RateLimiter:
    """One limiter per process, on the shared storage."""
    global _shared
    if _shared is None:
        _shared = RateLimiter()
    return _shared
