"""The ``limits`` library's storage for every rate limiter of the house (the portal's doors,
the connector's per-store throttle, the shared limiter of Amazon's APIs): Redis when a URL is
given, memory otherwise, with keys under ``RATE_LIMIT_KEY_PREFIX`` so that a reset forgets only
this installation's counts (tests give each pytest-xdist worker its own prefix)."""

from django.conf import settings
from limits.storage import Storage, storage_from_string


def rate_limit_storage(url: str | None) -> Storage:
    return storage_from_string(url or "memory://", key_prefix=settings.RATE_LIMIT_KEY_PREFIX)
