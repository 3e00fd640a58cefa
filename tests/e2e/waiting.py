"""Waiting on a real process (a worker, a beat) for what a test checks, not a fixed sleep."""

import time
from collections.abc import Callable
from typing import Any


def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str | Callable[[], str],
    interval: float = 0.1,
) -> Any:
    """``predicate()``'s first truthy value within ``timeout`` seconds, else an AssertionError
    saying ``what`` (a callable is asked at the end, e.g. for a log's tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
