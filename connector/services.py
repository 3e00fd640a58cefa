"""The request log and idempotency of the endpoints Amazon calls
(connector/pipeline.py stores every request through these)."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jwo_console.heldwrites import HeldWrites

from .models import ConnectorRequest, RequestStatus, ScanResolution
from .parsing import storable_text

_SECRET_HEADERS = {"x-jwo-connector-secret", "authorization", "cookie", "x-api-key"}
ORIGINAL_WAIT_SECONDS = 3.0
BODY_CHARS = 1_100_000  # above the size cap: an accepted body is kept whole
STALE_AFTER_SECONDS = 30  # a request unanswered this long lost its process


def connector_secret_valid(provided: str) -> bool:
    """The API Gateway's shared secret, compared in constant time; the previous secret is
    accepted too, so that it can be rotated without a gap."""
    candidates = [settings.JWO_CONNECTOR_SECRET, settings.JWO_CONNECTOR_SECRET_PREVIOUS]
    given = (provided or "").encode()
    return any(c and hmac.compare_digest(given, c.encode()) for c in candidates)


def _clean_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: ("[redacted]" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def payload_hash(data: Any) -> str:
    """The payload without ``requestId``: a retry with a fresh requestId is the same request."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "requestId"}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _column_int(size: int) -> int:
    """A declared Content-Length as the column holds it (0 … 2**31 - 1): a client may declare
    any number, and a 2 GB claim is refused, not a database error."""
    return max(0, min(size, 2**31 - 1))


def connector_request_refused(
    *,
    endpoint: str,
    headers: dict,
    body: bytes,
    status: str,
    http_status: int,
    answer: Any,
    started: float,
    replay_of: ConnectorRequest | None = None,
    size: int | None = None,
    method: str = "POST",
    store_id: str = "",
    request_id: str = "",
) -> ConnectorRequest:
    """A request refused before processing (wrong secret, invalid shape, too large, wrong
    method or content type, over the rate): stored with its answer in one write."""
    return ConnectorRequest.objects.create(
        endpoint=endpoint,
        headers=_clean_headers(headers),
        body=storable_text(body, BODY_CHARS),
        body_size=len(body) if size is None else _column_int(size),
        method=method[:10],
        store_id=store_id,
        request_id=request_id,
        replay_of=replay_of,
        status=status,
        response_status=http_status,
        response_body=answer,
        answered_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _released(original: ConnectorRequest) -> bool:
    """An original that failed, or whose process died before answering, gives up its key so
    that a retry finishes the work (its own transaction rolled back: nothing half-done stays)."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    if original.status == RequestStatus.FAILED or (
        original.status == RequestStatus.RECEIVED and original.received_at < stale
    ):
        return (
            ConnectorRequest.objects.filter(pk=original.pk, dedupe_key=original.dedupe_key).update(
                dedupe_key=None
            )
            == 1
        )
    return False


def _insert_sql() -> str:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on the dedupe constraint: store first and
    dedupe in one statement, no exception, no savepoint (PostgreSQL; column names from the
    model, so a renamed field cannot drift)."""
    meta = ConnectorRequest._meta
    names = [meta.get_field(n).column for n in _INSERT_FIELDS]
    dedupe = [meta.get_field(n).column for n in ("endpoint", "dedupe_key")]
    return (
        f'INSERT INTO "{meta.db_table}" ({", ".join(names)}, received_at) '  # noqa: S608 (names from the model, values bound)
        f"VALUES ({', '.join(['%s'] * len(names))}, now()) "
        f"ON CONFLICT ({', '.join(dedupe)}) WHERE dedupe_key IS NOT NULL DO NOTHING "
        "RETURNING id, received_at"
    )


_INSERT_FIELDS = (
    "endpoint",
    "request_id",
    "store_id",
    "dedupe_key",
    "payload_hash",
    "headers",
    "body",
    "body_size",
    "method",
    "status",
    "error",
    "duration_ms",
    "replay_of",
)


def _insert_without_flush(cursor, params: list) -> tuple | None:
    """The stored request's INSERT commits without waiting for its WAL flush (one fsync fewer
    on every call): it is durable as soon as any later commit flushes — the handler's own, or
    the stored answer's, both synchronous and both before Amazon sees an answer (WAL is flushed
    in order). Only a database crash before our answer could lose it, and Amazon then retries.
    One round trip: the statements go together (psycopg's client-side binding allows it)."""
    try:
        cursor.execute(
            f"BEGIN; SET LOCAL synchronous_commit TO OFF; {_insert_sql()}; COMMIT", params
        )
        while not cursor.description:
            if not cursor.nextset():
                return None
        return cursor.fetchone()
    except Exception:
        cursor.execute("ROLLBACK")  # never leave the connection inside a transaction
        raise


def _insert_once(**fields: Any) -> ConnectorRequest:
    """One INSERT that commits in its own round trip (a web request runs in autocommit). On
    PostgreSQL a held dedupe key returns nothing and raises IntegrityError here, without a
    failed statement; elsewhere the ORM's INSERT (in a savepoint inside a transaction)."""
    if connection.vendor == "postgresql":
        replay = fields.get("replay_of")
        values = {
            "method": "POST",
            "status": RequestStatus.RECEIVED,
            "error": "",
            "duration_ms": 0,
            **fields,
            "headers": json.dumps(fields["headers"]),
            "replay_of": replay.pk if replay is not None else None,
        }
        params = [values[n] for n in _INSERT_FIELDS]
        with connection.cursor() as cursor:
            if connection.get_autocommit():
                row = _insert_without_flush(cursor, params)
            else:
                cursor.execute(_insert_sql(), params)
                row = cursor.fetchone()
        if row is None:
            raise IntegrityError("connector_request_dedupe")
        return ConnectorRequest(pk=row[0], received_at=row[1], **fields)
    if connection.get_autocommit():
        return ConnectorRequest.objects.create(**fields)
    with transaction.atomic():
        return ConnectorRequest.objects.create(**fields)


def connector_request_store(
    *,
    endpoint: str,
    headers: dict,
    body: bytes,
    dedupe_key: str | None,
    digest: str,
    store_id: str,
    request_id: str,
    replay_of: ConnectorRequest | None = None,
) -> tuple[ConnectorRequest, ConnectorRequest | None]:
    """Store the request before it is processed, holding its dedupe key (one write). Returns
    (the stored request, the original) — the original is set when another request already holds
    the key, and the stored one is then a duplicate."""
    fields = {
        "endpoint": endpoint,
        "headers": _clean_headers(headers),
        "body": storable_text(body, BODY_CHARS),
        "body_size": len(body),
        "payload_hash": digest,
        "store_id": store_id,
        "request_id": request_id,
        "replay_of": replay_of,
    }
    for _ in range(2):
        try:
            return _insert_once(dedupe_key=dedupe_key, **fields), None
        except IntegrityError:
            original = ConnectorRequest.objects.filter(
                endpoint=endpoint, dedupe_key=dedupe_key
            ).first()
            if original is None or _released(original):
                continue
            return ConnectorRequest.objects.create(**fields), original
    return ConnectorRequest.objects.create(**fields), None  # pragma: no cover


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
    held: HeldWrites | None = None,
) -> None:
    """Store the answer on the request. ``held``: the handler's held writes
    (jwo_console/heldwrites.py), sent with this UPDATE in one transaction and one round trip."""
    if connection.vendor == "postgresql":  # the hot path's last statement, without the ORM
        meta = ConnectorRequest._meta
        sql = (
            f'UPDATE "{meta.db_table}" SET status = %s, response_status = %s, '  # noqa: S608
            "response_body = %s::jsonb, error = %s, duplicate_of_id = %s, "
            "answered_at = now(), duration_ms = %s WHERE id = %s"
        )
        params = [
            status,
            http_status,
            json.dumps(body),
            error[:5000],
            duplicate_of.pk if duplicate_of is not None else None,
            int((time.monotonic() - started) * 1000),
            req.pk,
        ]
        if held is not None and (held.inserts or held.after):
            held.flush(sql, params)
            return
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    ConnectorRequest.objects.filter(pk=req.pk).update(
        status=status,
        response_status=http_status,
        response_body=body,
        error=error[:5000],
        duplicate_of=duplicate_of,
        answered_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def scan_resolution_record(
    *, jwo_store_id: str, result_id: str, result_type: str, provider: str, promotion_ids: list
) -> ScanResolution:
    """Keep what ResolveScan accepted, for GetScanDetails (the latest answer wins)."""
    found, _ = ScanResolution.objects.update_or_create(
        jwo_store_id=jwo_store_id,
        result_type=result_type,
        result_id=result_id,
        defaults={"provider": provider[:255], "promotion_ids": promotion_ids},
    )
    return found


def scan_resolution_find(
    *, jwo_store_id: str, result_id: str, result_type: str
) -> ScanResolution | None:
    return ScanResolution.objects.filter(
        jwo_store_id=jwo_store_id, result_type=result_type, result_id=result_id
    ).first()


def scan_resolve(*, mapping: Any, code: str) -> tuple[str, str]:
    """ResolveScan for loyalty: the store's provider resolves the scanned code. Returns (the
    result id, ACCEPT or REJECT); an accepted one is kept for GetScanDetails. A provider that
    does not answer raises (the endpoint answers 500; Amazon follows the store's default)."""
    from integrations.loyalty import loyalty_client

    client = loyalty_client(mapping.loyalty_provider)
    member = client.resolve(code)
    if member is None:
        return code[:255], "REJECT"
    scan_resolution_record(
        jwo_store_id=mapping.jwo_store_id,
        result_id=member.member_id[:255],
        result_type="LOYALTY",
        provider=client.label,
        promotion_ids=[f"{client.label}-{member.tier}".upper()] if member.tier else [],
    )
    return member.member_id, "ACCEPT"
