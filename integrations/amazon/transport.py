"""The one signed HTTP transport every Amazon client uses.

- SigV4 (service ``execute-api``, region ``JWO_REGION``) through requests-aws4auth, with the
  credentials of ``config.credentials()`` (refreshed when they are temporary).
- The body is serialised once to bytes; those exact bytes are signed and sent.
- Connect and read timeouts; no redirects followed.
- Retries with exponential backoff and jitter (tenacity):
  * 429 for every operation (the request was refused before it was processed), honouring
    ``Retry-After`` in seconds — when Amazon asks for a longer wait than
    ``JWO_HTTP_MAX_INLINE_RETRY_AFTER`` the error is raised instead, so the caller's task can
    schedule the retry rather than hold a worker;
  * connection failures before the request was sent, for every operation;
  * read timeouts and 5xx only when the operation is safe to repeat (``retry_safe``);
  * never on other 4xx.
- Every attempt is recorded (``recording.emit``).
- One keep-alive session per process, thread and service (``shared_session``): a worker's
  calls reuse their connections instead of opening one per call — but never a connection idle
  longer than ``JWO_HTTP_KEEPALIVE_IDLE_SECONDS`` (a server closing it as the request goes out
  would make a capture's outcome unknown though Amazon never saw it). When the environment names no
  proxy the session does not consult it again on every request (requests otherwise reads the
  proxy variables three times a call); with a proxy configured it does, as requests always has.
"""

import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import simplejson
from django.conf import settings
from requests_aws4auth import AWS4Auth
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from urllib3.exceptions import NewConnectionError

from . import config, recording
from .errors import AmazonAuthError, AmazonError, AmazonRejectedError, AmazonTransientError

logger = logging.getLogger(__name__)
SIGNING_SERVICE = "execute-api"


@dataclass(frozen=True)
class AmazonResponse:
    status: int
    data: Any  # parsed JSON (floats as Decimal), or None for an empty body


_SESSIONS = threading.local()


def shared_session(service: str) -> requests.Session:
    """This thread's keep-alive session for ``service`` (a new one after a fork: a child never
    shares its parent's sockets)."""
    sessions = getattr(_SESSIONS, "by_service", None)
    if sessions is None or _SESSIONS.pid != os.getpid():
        sessions = _SESSIONS.by_service = {}
        _SESSIONS.pid = os.getpid()
    session = sessions.get(service)
    if session is None:
        session = sessions[service] = requests.Session()
        session.trust_env = bool(urllib.request.getproxies())
    return session


def _drop_idle(session: requests.Session, now: float) -> None:
    """Close the session's pooled connections when it has been idle too long (they reconnect on
    the next request): a fresh connection cannot be closed by the server under our request."""
    last = getattr(session, "_jwo_last_used", None)
    if last is not None and now - last > settings.JWO_HTTP_KEEPALIVE_IDLE_SECONDS:
        for adapter in session.adapters.values():
            adapter.close()


class _NotSent(AmazonTransientError):
    """A connection failure before any byte reached Amazon: safe to retry for any operation."""


def _parse(response: requests.Response) -> Any:
    if not response.content or not response.content.strip():
        return None
    try:
        return simplejson.loads(response.content, use_decimal=True)
    except ValueError:
        return {"raw": response.text[:2000]}


def _was_not_sent(exc: Exception) -> bool:
    """True only when the connection itself failed, so Amazon cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))  # seconds, per HTTP
    except ValueError:
        return None


class AmazonTransport:
    def __init__(
        self,
        service: str,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.cfg = config.service_config(service)
        self.session = session or shared_session(service)
        self.sleep = sleep
        self.auth = AWS4Auth(
            refreshable_credentials=config.credentials(),
            region=self.cfg.region,
            service=SIGNING_SERVICE,
        )

    # -- one attempt ---------------------------------------------------------------------------
    def _send(
        self, *, operation: str, path: str, body: bytes, attempt: int, ids: dict[str, str]
    ) -> AmazonResponse:
        url = f"{self.cfg.base_url}{path}"
        request = requests.Request(
            "POST",
            url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            auth=self.auth,
        ).prepare()
        record = recording.CallRecord(
            service=self.service,
            operation=operation,
            method="POST",
            url=url,
            started_at=datetime.now(UTC),
            attempt=attempt,
            store_id=ids.get("store_id", ""),
            trip_id=ids.get("trip_id", ""),
            request_headers=recording.redact_headers(dict(request.headers)),
            request_body=recording.body_for_log(body),
        )
        started = time.monotonic()
        _drop_idle(self.session, started)
        try:
            response = self.session.send(
                request,
                timeout=(self.cfg.connect_timeout, self.cfg.read_timeout),
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = _NotSent if _was_not_sent(exc) else AmazonTransientError
            error = kind(f"{operation}: {exc.__class__.__name__}", operation=operation)
            self._finish(record, started, error=str(error))
            raise error from exc
        finally:
            self.session._jwo_last_used = time.monotonic()

        data = _parse(response)
        status = response.status_code
        error_msg = data.get("errorMsg") if isinstance(data, dict) else None
        logged = (
            data
            if len(response.content) <= recording.MAX_LOGGED_BODY
            else (recording.body_for_log(response.content))
        )
        self._finish(record, started, status=status, response_body=logged, error=error_msg or "")
        if 200 <= status < 300:
            return AmazonResponse(status=status, data=data)
        detail = data.get("message") if isinstance(data, dict) else None
        message = f"{operation}: HTTP {status}" + (f" {error_msg}" if error_msg else "")
        if detail:
            message += f" ({detail})"
        common = {"operation": operation, "http_status": status, "error_msg": error_msg}
        if status == 429 or status >= 500:
            raise AmazonTransientError(
                message, retry_after=_retry_after(response), body=data, **common
            )
        if status in (401, 403):
            raise AmazonAuthError(message, body=data, **common)
        raise AmazonRejectedError(message, body=data, **common)

    @staticmethod
    def _finish(record, started, *, status=None, response_body=None, error="") -> None:
        record.duration_ms = int((time.monotonic() - started) * 1000)
        record.http_status = status
        record.response_body = response_body
        record.error = error
        recording.emit(record)
        logger.info(
            "amazon call %s.%s -> %s in %d ms (attempt %d)",
            record.service,
            record.operation,
            status if status is not None else record.error,
            record.duration_ms,
            record.attempt,
            extra={
                "service": record.service,
                "operation": record.operation,
                "store_id": record.store_id,
                "trip_id": record.trip_id,
                "http_status": status,
                "duration_ms": record.duration_ms,
                "attempt": record.attempt,
            },
        )

    # -- with retries ---------------------------------------------------------------------------
    def post(
        self,
        *,
        operation: str,
        path: str,
        payload: dict[str, Any],
        retry_safe: bool,
        store_id: str = "",
        trip_id: str = "",
    ) -> AmazonResponse:
        body = simplejson.dumps(payload, use_decimal=True, separators=(",", ":")).encode()
        ids = {"store_id": store_id, "trip_id": trip_id}
        max_inline = self.cfg.max_inline_retry_after

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, AmazonTransientError):
                return False
            if exc.retry_after is not None and exc.retry_after > max_inline:
                return False  # the caller schedules it; a worker does not sleep that long
            if isinstance(exc, _NotSent) or exc.http_status == 429:
                return True
            return retry_safe

        backoff = wait_exponential_jitter(multiplier=0.5, max=8, jitter=0.5)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, AmazonTransientError) and exc.retry_after is not None:
                return exc.retry_after
            return backoff(state)

        attempt = 0

        def once() -> AmazonResponse:
            nonlocal attempt
            attempt += 1
            return self._send(operation=operation, path=path, body=body, attempt=attempt, ids=ids)

        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.max_attempts),
            wait=wait,
            retry=retry_if_exception(should_retry),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(once)
        except _NotSent as exc:  # present it as the plain transient error it is
            raise AmazonTransientError(str(exc), operation=operation) from exc


def require(data: Any, key: str, operation: str) -> Any:
    """A field Amazon's success answer must carry; its absence is Amazon's error, not ours."""
    if not isinstance(data, dict) or data.get(key) in (None, ""):
        raise AmazonError(f"{operation}: the answer lacks {key!r}", operation=operation, body=data)
    return data[key]
