"""The request log and idempotency of the endpoints Amazon calls (STYLE.md guideline 6)."""

import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ConnectorRequest, RequestStatus

_SECRET_HEADERS = {"x-jwo-connector-secret", "authorization", "cookie", "x-api-key"}
ORIGINAL_WAIT_SECONDS = 3.0


def connector_secret_valid(provided: str) -> bool:
    """The API Gateway's shared secret, compared in constant time; the previous secret is
    accepted too, so that it can be rotated without a gap."""
    candidates = [settings.JWO_CONNECTOR_SECRET, settings.JWO_CONNECTOR_SECRET_PREVIOUS]
    given = (provided or "").encode()
    return any(c and hmac.compare_digest(given, c.encode()) for c in candidates)


def connector_request_record(
    *,
    endpoint: str,
    headers: dict[str, str],
    body: bytes,
    replay_of: ConnectorRequest | None = None,
) -> ConnectorRequest:
    """Store the request before anything else is done with it (autocommit: it survives a crash)."""
    clean = {k: ("[redacted]" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}
    return ConnectorRequest.objects.create(
        endpoint=endpoint,
        headers=clean,
        body=body.decode("utf-8", errors="replace")[:1_000_000],
        replay_of=replay_of,
    )


def payload_hash(data: Any) -> str:
    """The payload without ``requestId``: a retry with a fresh requestId is the same request."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "requestId"}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def connector_request_claim(
    *, req: ConnectorRequest, dedupe_key: str, digest: str, store_id: str, request_id: str
) -> ConnectorRequest | None:
    """Make ``req`` the one request that processes ``dedupe_key``; return the original instead
    when another request holds it. An original that failed gives the key up, so the retry
    finishes what it could not."""
    for _ in range(2):
        try:
            with transaction.atomic():
                ConnectorRequest.objects.filter(pk=req.pk).update(
                    dedupe_key=dedupe_key,
                    payload_hash=digest,
                    store_id=store_id,
                    request_id=request_id,
                )
            req.dedupe_key, req.payload_hash = dedupe_key, digest
            return None
        except IntegrityError:
            original = ConnectorRequest.objects.get(endpoint=req.endpoint, dedupe_key=dedupe_key)
            if original.status != RequestStatus.FAILED:
                ConnectorRequest.objects.filter(pk=req.pk).update(
                    payload_hash=digest, store_id=store_id, request_id=request_id
                )
                return original
            ConnectorRequest.objects.filter(pk=original.pk).update(dedupe_key=None)
    raise RuntimeError("could not claim the dedupe key")  # pragma: no cover


def await_answer(original: ConnectorRequest) -> ConnectorRequest:
    """A duplicate that arrives while the original is still being processed waits for it."""
    deadline = time.monotonic() + ORIGINAL_WAIT_SECONDS
    while original.response_status is None and time.monotonic() < deadline:
        time.sleep(0.05)
        original.refresh_from_db()
    return original


def connector_request_answer(
    *,
    req: ConnectorRequest,
    status: str,
    http_status: int,
    body: Any,
    started: float,
    error: str = "",
    duplicate_of: ConnectorRequest | None = None,
) -> None:
    ConnectorRequest.objects.filter(pk=req.pk).update(
        status=status,
        response_status=http_status,
        response_body=body,
        error=error[:5000],
        duplicate_of=duplicate_of,
        answered_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
