"""Rate limits for the portal's doors (sign-in links, card lookups): the ``limits`` library's
moving window, in Redis when ``REDIS_URL`` is set (shared by every web process), in memory
otherwise."""

from functools import cache

from django.conf import settings
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

PREFIX = "jwo-portal"


@cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(settings.REDIS_URL or "memory://"))


def hit(rate: str, *keys: str) -> bool:
    """Count one try against ``rate`` (e.g. ``"10/hour"``); False when over the limit."""
    return _limiter().hit(parse(rate), PREFIX, *keys)


def reset() -> None:
    """Forget every count (tests, and an operator unblocking a legitimate shopper)."""
    _limiter().storage.reset()
