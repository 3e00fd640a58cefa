"""Stores the client's call records (integrations/amazon/recording.py) as AmazonApiCall rows."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.amazon.recording import CallRecord

from .models import AmazonApiCall


def _jsonable(value: Any) -> Any:
    """Decimals (Amazon's numbers) kept exactly, as strings, in the JSON columns."""
    if value is None:
        return None
    return json.loads(
        json.dumps(value, default=lambda o: str(o) if isinstance(o, Decimal) else repr(o))
    )


def amazon_call_record(record: CallRecord) -> AmazonApiCall:
    return AmazonApiCall.objects.create(
        service=record.service,
        operation=record.operation,
        method=record.method,
        url=record.url[:500],
        store_id=record.store_id[:255],
        trip_id=record.trip_id[:255],
        attempt=record.attempt,
        http_status=record.http_status,
        duration_ms=record.duration_ms,
        error=(record.error or "")[:500],
        request_headers=record.request_headers,
        request_body=_jsonable(record.request_body),
        response_body=_jsonable(record.response_body),
        started_at=record.started_at,
    )


def amazon_calls_purge(*, older_than_days: int | None = None) -> int:
    days = settings.JWO_CALL_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = AmazonApiCall.objects.filter(started_at__lt=cutoff).delete()
    return deleted
