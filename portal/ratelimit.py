"""Rate limits for the portal's doors (sign-in links, card lookups): the ``limits`` library's
moving window, in Redis when ``REDIS_URL`` is set (shared by every web process), in memory
otherwise."""

from functools import cache

from django.conf import settings
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from jwo_console.ratelimits import rate_limit_storage

PREFIX = "jwo-portal"


@cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(rate_limit_storage(settings.REDIS_URL))


def hit(rate: str, *keys: str) -> bool:
    """Count one try against ``rate`` (e.g. ``"10/hour"``); False when over the limit."""
    return _limiter().hit(parse(rate), PREFIX, *keys)


def reset() -> None:
    """Forget every count (tests, and an operator unblocking a legitimate shopper)."""
    _limiter().storage.reset()
