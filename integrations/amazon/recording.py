"""Every call to Amazon is handed to the registered recorders (the console stores them).

The record is made after each attempt, with credentials and signatures redacted. A recorder
that fails is logged and never breaks the call.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
_SECRET_HEADERS = {"authorization", "x-amz-security-token", "x-jwo-connector-secret"}


@dataclass
class CallRecord:
    service: str
    operation: str
    method: str
    url: str
    started_at: datetime
    attempt: int
    store_id: str = ""
    trip_id: str = ""
    http_status: int | None = None
    duration_ms: int = 0
    error: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    response_body: Any = None


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else str(v)) for k, v in headers.items()}


MAX_LOGGED_BODY = 64 * 1024  # a 10,000-item catalog upload is ~3.5 MB: log its size and start


def body_for_log(body: bytes) -> Any:
    """The body as JSON when small; otherwise its size and a preview."""
    import simplejson

    if len(body) <= MAX_LOGGED_BODY:
        try:
            return simplejson.loads(body, use_decimal=True)
        except ValueError:
            return {"raw": body[:2000].decode("utf-8", errors="replace")}
    return {
        "truncated": True,
        "bytes": len(body),
        "preview": body[:2000].decode("utf-8", errors="replace"),
    }


_recorders: list[Callable[[CallRecord], None]] = []


def add_recorder(recorder: Callable[[CallRecord], None]) -> None:
    if recorder not in _recorders:
        _recorders.append(recorder)


def emit(record: CallRecord) -> None:
    for recorder in list(_recorders):
        try:
            recorder(record)
        except Exception:
            logger.exception("amazon call recorder failed", extra={"operation": record.operation})
