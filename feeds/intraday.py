"""Intra-day files: Amazon writes a CSV to its bucket about every
15 minutes and notifies through SNS → the retailer's SQS queue; a listing of the bucket prefix
on a schedule catches any notification that never came.

Each object is downloaded once — (bucket, key, ETag) is unique — its text kept, and loaded
idempotently: every row upserts Amazon's order on (JWO store id, trip id) and its line on
(order, line id or SKU), and a row from an older file never overwrites one from a newer file
(``file_time``, the object's LastModified). So the same file twice, an order in several files,
an order's lines split across files and late orders from earlier days end in one row per order
and line. The column list is not in Amazon's public pages: headers are mapped through
settings.JWO_INTRADAY_COLUMNS and the admin (IntradayColumn); other columns are kept on each
row; a bad row is reported by file and row number and the others load."""

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.amazon.notifications import parse as parse_sns
from jwo_console.money import quantize
from stores.models import JwoStoreMapping

from . import aws
from .models import (
    AmazonOrder,
    FileStatus,
    FileVia,
    IntradayColumn,
    IntradayFile,
    IntradayRowError,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 500
REQUIRED = ("trip_id", "store_id", "ordered_at")
MONEY_LIMIT = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES)


class BadRow(ValueError):
    pass


def intraday_columns() -> dict[str, str]:
    """header (lower-cased, trimmed) → field: the settings' mapping, then the admin's rows."""
    columns = {k.strip().lower(): v for k, v in settings.JWO_INTRADAY_COLUMNS.items()}
    for header, name in IntradayColumn.objects.values_list("header", "field"):
        columns[header.strip().lower()] = name
    return columns


def _money(value: str, name: str) -> Decimal | None:
    value = (value or "").strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadRow(f"{name}: {value[:40]!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
        raise BadRow(f"{name}: {value[:40]!r} is not an amount")
    return quantize(amount, places=2)  # the files carry cents


def _quantity(value: str) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        qty = Decimal(value)
    except InvalidOperation:
        raise BadRow(f"quantity: {value[:40]!r} is not a number") from None
    if not qty.is_finite() or abs(qty) >= Decimal(10) ** 8:
        raise BadRow(f"quantity: {value[:40]!r} is not a number")
    return qty.quantize(Decimal("0.0001"))


def parse_time(value: str) -> datetime:
    """ISO 8601 (a naive time is UTC) or epoch seconds / milliseconds."""
    value = (value or "").strip()
    if not value:
        raise BadRow("ordered_at: empty")
    if value.isdigit():
        number = int(value)
        if number > 10**11:
            number //= 1000
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRow(f"ordered_at: {value[:40]!r} is not a time") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRow(f"ordered_at: {value[:40]!r} is not a time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ParsedRow:
    row_no: int
    trip_id: str
    store_id: str
    ordered_at: datetime
    status: str
    currency: str
    total: Decimal | None
    captured: Decimal | None
    refunded: Decimal | None
    line_key: str
    sku: str
    quantity: Decimal | None
    amount: Decimal | None
    tax: Decimal | None
    extra: dict[str, str] = field(default_factory=dict)


def _parse_row(row_no: int, values: dict[str, str], extra: dict[str, str]) -> ParsedRow:
    missing = [name for name in REQUIRED if not (values.get(name) or "").strip()]
    if missing:
        raise BadRow(f"{', '.join(missing)}: missing")
    trip_id = values["trip_id"].strip()
    store_id = values["store_id"].strip()
    if len(trip_id) > 255 or len(store_id) > 255:
        raise BadRow("trip_id / store_id: longer than 255 characters")
    currency = (values.get("currency") or "").strip().upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise BadRow(f"currency: {currency[:10]!r} is not a 3-letter code")
    sku = (values.get("sku") or "").strip()[:255]
    line_id = (values.get("line_id") or "").strip()[:255]
    return ParsedRow(
        row_no=row_no,
        trip_id=trip_id,
        store_id=store_id,
        ordered_at=parse_time(values["ordered_at"]),
        status=(values.get("status") or "").strip().upper()[:40],
        currency=currency,
        total=_money(values.get("order_total", ""), "order_total"),
        captured=_money(values.get("captured", ""), "captured"),
        refunded=_money(values.get("refunded", ""), "refunded"),
        line_key=line_id or sku,
        sku=sku,
        quantity=_quantity(values.get("quantity", "")),
        amount=_money(values.get("line_amount", ""), "line_amount"),
        tax=_money(values.get("line_tax", ""), "line_tax"),
        extra=extra,
    )


def parse_rows(
    content: str, columns: dict[str, str]
) -> tuple[list[str], Iterator[tuple[int, ParsedRow | None, str, dict]]]:
    """(unknown headers, iterator of (row number, parsed row or None, error, raw row))."""
    reader = csv.reader(io.StringIO(content))
    try:
        headers = next(reader)
    except StopIteration:
        return [], iter(())
    names = [columns.get(h.strip().lower().lstrip("\ufeff"), "") for h in headers]
    unknown = [h for h, n in zip(headers, names, strict=True) if not n or n == "ignore"]

    def rows() -> Iterator[tuple[int, ParsedRow | None, str, dict]]:
        for index, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            raw = dict(zip(headers, cells, strict=False))
            if len(cells) != len(headers):
                yield index, None, f"{len(cells)} cells where the header has {len(headers)}", raw
                continue
            values, extra = {}, {}
            for header, name, cell in zip(headers, names, cells, strict=True):
                if name and name != "ignore":
                    values[name] = cell
                else:
                    extra[header] = cell
            try:
                yield index, _parse_row(index, values, extra), "", raw
            except BadRow as exc:
                yield index, None, str(exc), raw

    return unknown, rows()


# --- Upserts (PostgreSQL and SQLite both speak INSERT ... ON CONFLICT ... DO UPDATE ... WHERE) ---


def _json_placeholder() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _dec(value: Decimal | None):
    return None if value is None else connection.ops.adapt_decimalfield_value(value)


def _upsert_orders(rows: list[ParsedRow], file: IntradayFile, stores: dict[str, int]) -> None:
    latest: dict[tuple[str, str], ParsedRow] = {}
    for row in rows:  # within one file, the last row of an order sets its fields
        latest[(row.store_id, row.trip_id)] = row
    now = _dt(timezone.now())
    file_time = _dt(file.last_modified)
    one = f"(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {_json_placeholder()}, %s, %s)"
    params: list = []
    for row in latest.values():
        params += [
            now, now, row.store_id, row.trip_id, stores.get(row.store_id), _dt(row.ordered_at),
            row.status, row.currency, _dec(row.total), _dec(row.captured), _dec(row.refunded),
            json.dumps(row.extra if not row.line_key else {}), file.pk, file_time,
        ]  # fmt: skip
    table = AmazonOrder._meta.db_table
    sql = (
        f"INSERT INTO {table} (created_at, updated_at, jwo_store_id, trip_id, store_id, "  # noqa: S608 (constant table names)
        "ordered_at, status, currency, total, captured, refunded, extra, file_id, file_time) "
        f"VALUES {', '.join([one] * len(latest))} "
        "ON CONFLICT (jwo_store_id, trip_id) DO UPDATE SET updated_at = excluded.updated_at, "
        "store_id = excluded.store_id, ordered_at = excluded.ordered_at, "
        f"status = COALESCE(NULLIF(excluded.status, ''), {table}.status), "
        f"currency = COALESCE(NULLIF(excluded.currency, ''), {table}.currency), "
        f"total = COALESCE(excluded.total, {table}.total), "
        f"captured = COALESCE(excluded.captured, {table}.captured), "
        f"refunded = COALESCE(excluded.refunded, {table}.refunded), "
        "file_id = excluded.file_id, file_time = excluded.file_time "
        f"WHERE {table}.file_time <= excluded.file_time"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _upsert_lines(rows: list[ParsedRow], file: IntradayFile) -> None:
    lined = [r for r in rows if r.line_key]
    if not lined:
        return
    ids: dict[tuple[str, str], int] = {}
    by_store: dict[str, set[str]] = {}
    for row in lined:
        by_store.setdefault(row.store_id, set()).add(row.trip_id)
    for store_id, trips in by_store.items():
        for pk, trip_id in AmazonOrder.objects.filter(
            jwo_store_id=store_id, trip_id__in=trips
        ).values_list("pk", "trip_id"):
            ids[(store_id, trip_id)] = pk
    latest: dict[tuple[int, str], ParsedRow] = {}
    for row in lined:
        latest[(ids[(row.store_id, row.trip_id)], row.line_key)] = row
    file_time = _dt(file.last_modified)
    one = f"(%s, %s, %s, %s, %s, %s, {_json_placeholder()}, %s, %s, %s)"
    params: list = []
    for (order_pk, line_key), row in latest.items():
        params += [
            order_pk, line_key, row.sku, _dec(row.quantity), _dec(row.amount), _dec(row.tax),
            json.dumps(row.extra), file.pk, row.row_no, file_time,
        ]  # fmt: skip
    table = "feeds_amazonorderline"
    sql = (
        f"INSERT INTO {table} (order_id, line_key, sku, quantity, amount, tax, extra, file_id, "  # noqa: S608
        f"row_no, file_time) VALUES {', '.join([one] * len(latest))} "
        "ON CONFLICT (order_id, line_key) DO UPDATE SET sku = excluded.sku, "
        "quantity = excluded.quantity, amount = excluded.amount, tax = excluded.tax, "
        "extra = excluded.extra, file_id = excluded.file_id, row_no = excluded.row_no, "
        f"file_time = excluded.file_time WHERE {table}.file_time <= excluded.file_time"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _mapped_stores() -> dict[str, int]:
    return dict(JwoStoreMapping.objects.values_list("jwo_store_id", "store_id"))


def intraday_file_load(
    *,
    file: IntradayFile,
    columns: dict[str, str] | None = None,
    stores: dict[str, int] | None = None,
) -> IntradayFile:
    """Load (or load again) a stored file: good rows upserted in chunks, bad rows reported.
    ``columns`` and ``stores`` may be passed by a caller loading many files."""
    columns = columns if columns is not None else intraday_columns()
    stores = stores if stores is not None else _mapped_stores()
    unknown, rows = parse_rows(file.content, columns)
    first = next(csv.reader(io.StringIO(file.content)), [])
    present = {columns.get(h.strip().lower().lstrip("\ufeff")) for h in first}
    missing = [n for n in REQUIRED if n not in present]
    total = loaded = bad = 0
    if file.loaded_at is not None:  # loaded before: its old bad rows go
        IntradayRowError.objects.filter(file=file).delete()
    errors: list[IntradayRowError] = []
    chunk: list[ParsedRow] = []

    def flush() -> None:
        if chunk:
            with transaction.atomic():
                _upsert_orders(chunk, file, stores)
                _upsert_lines(chunk, file)
            chunk.clear()
        if errors:
            IntradayRowError.objects.bulk_create(errors)
            errors.clear()

    if missing:
        file.status, file.error = FileStatus.FAILED, f"no column mapped to {', '.join(missing)}"
    else:
        for row_no, parsed, error, raw in rows:
            total += 1
            if parsed is not None and parsed.store_id not in stores:
                parsed, error = None, f"store_id: {parsed.store_id!r} is not mapped to a store"
            if parsed is None:
                bad += 1
                errors.append(
                    IntradayRowError(file=file, row_no=row_no, message=error[:1000], raw=raw)
                )
            else:
                loaded += 1
                chunk.append(parsed)
            if len(chunk) >= CHUNK_ROWS or len(errors) >= CHUNK_ROWS:
                flush()
        flush()
        file.status = FileStatus.LOADED_WITH_ERRORS if bad else FileStatus.LOADED
        file.error = ""
    file.rows_total, file.rows_loaded, file.rows_bad = total, loaded, bad
    file.unknown_columns = unknown
    file.loaded_at = timezone.now()
    file.save(
        update_fields=[
            "status", "error", "rows_total", "rows_loaded", "rows_bad", "unknown_columns",
            "loaded_at", "updated_at",
        ]
    )  # fmt: skip
    logger.info(
        "intra-day file loaded",
        extra={"file_key": file.key, "rows": total, "loaded": loaded, "bad": bad},
    )
    return file


def intraday_file_fetch(
    *, bucket: str, key: str, via: str, s3=None, columns=None, stores=None
) -> IntradayFile | None:
    """Download an object once and load it. None when this (key, ETag) was seen already: a key
    seen before is asked for its ETag first (HEAD), a new key is downloaded straight away."""
    s3 = s3 or aws.s3_client()
    if IntradayFile.objects.filter(bucket=bucket, key=key).exists():
        head = s3.head_object(Bucket=bucket, Key=key)
        if IntradayFile.objects.filter(
            bucket=bucket, key=key, etag=head["ETag"].strip('"')
        ).exists():
            return None
        answer = s3.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])
    else:
        answer = s3.get_object(Bucket=bucket, Key=key)

    etag = answer["ETag"].strip('"')
    body = answer["Body"].read()
    try:
        file = IntradayFile.objects.create(
            bucket=bucket,
            key=key,
            etag=etag,
            size=len(body),
            last_modified=answer["LastModified"],
            received_via=via,
            # PostgreSQL's text cannot hold NUL: it is kept as U+FFFD (and reported as bad data)
            content=body.decode("utf-8-sig", errors="replace").replace("\x00", "\ufffd"),
        )
    except IntegrityError:  # another worker stored it first
        return None
    return intraday_file_load(file=file, columns=columns, stores=stores)


def s3_objects_of(message: dict) -> list[tuple[str, str]]:
    """(bucket, key) of each ObjectCreated record of an S3 event (the key URL-decoded)."""
    found = []
    for record in message.get("Records") or []:
        if not isinstance(record, dict):
            continue
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record.get("s3") or {}
        bucket = (s3.get("bucket") or {}).get("name")
        key = (s3.get("object") or {}).get("key")
        if bucket and key:
            found.append((str(bucket), unquote_plus(str(key))))
    return found


def intraday_notifications_consume(*, max_batches: int = 10) -> int:
    """Read the queue; fetch every object it names. A message is deleted once its objects are
    stored (a failure leaves it for SQS to deliver again). Returns the files loaded."""
    sqs = aws.sqs_client()
    url = aws.queue_url(
        sqs, url=settings.JWO_INTRADAY_SQS_QUEUE_URL, name=settings.JWO_INTRADAY_SQS_QUEUE_NAME
    )
    s3 = aws.s3_client()
    columns, stores = intraday_columns(), _mapped_stores()
    loaded = 0
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            break
        for message in messages:
            _kind, body = parse_sns(message.get("Body", ""))
            try:
                for bucket, key in s3_objects_of(body):
                    fetched = intraday_file_fetch(
                        bucket=bucket, key=key, via=FileVia.NOTIFICATION, s3=s3,
                        columns=columns, stores=stores,
                    )  # fmt: skip
                    if fetched:
                        loaded += 1
            except Exception:
                logger.exception("intra-day notification failed; SQS will deliver it again")
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return loaded


def intraday_bucket_list() -> int:
    """The fallback: list the prefix; fetch every (key, ETag) not stored yet."""
    bucket = settings.JWO_INTRADAY_S3_BUCKET
    if not bucket:
        return 0
    s3 = aws.s3_client()
    known = set(IntradayFile.objects.filter(bucket=bucket).values_list("key", "etag").iterator())
    loaded = 0
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=settings.JWO_INTRADAY_S3_PREFIX):
        for obj in page.get("Contents", []):
            if (obj["Key"], obj["ETag"].strip('"')) in known:
                continue
            if intraday_file_fetch(bucket=bucket, key=obj["Key"], via=FileVia.LISTING, s3=s3):
                loaded += 1
    return loaded
