"""The event feed: EventBridge delivers CART and PAYMENT events
to ``POST /feeds/events`` (an API destination) or to an SQS queue. Each event is stored first —
``id`` is unique, so an at-least-once redelivery changes nothing — and processed after, in a
task. The schemas are not in the stored pages: the raw event is kept and fields are read under
every spelling seen; test events are recognised and never booked; an event that cannot be
processed goes to the dead-letter list, from where it is replayed. A payment decline e-mails the
store's contacts at once (the task runs right after the commit; beat sweeps every 20 s)."""

import hmac
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.amazon.notifications import parse as parse_sns
from stock.services import stock_deplete_for_cart_event
from stores.models import email_list
from stores.selectors import mapping_for_jwo_store, store_settings

from . import aws
from .models import DECLINE_SUBTYPES, EventKind, EventStatus, FeedEvent, StoreContact

logger = logging.getLogger(__name__)

PAYMENT_SUBTYPES = {
    "AuthorizationApproved",
    "CaptureApproved",
    "AuthorizationDeclined",
    "CaptureDeclined",
}
_SUBTYPE_BY_LOWER = {s.lower(): s for s in PAYMENT_SUBTYPES}


class InvalidEvent(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def event_key_valid(provided: str) -> bool:
    """``X-JWO-Event-Key`` against JWO_EVENT_FEED_KEY (and JWO_EVENT_FEED_KEY_PREVIOUS while
    rotating), in constant time — like the connector secret (connector/services.py)."""
    candidates = [settings.JWO_EVENT_FEED_KEY, settings.JWO_EVENT_FEED_KEY_PREVIOUS]
    given = (provided or "").encode()
    return any(c and hmac.compare_digest(given, c.encode()) for c in candidates)


MAX_DEPTH = 32


def _depth(value: Any) -> int:
    """How deep lists and objects nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _envelope(body: str) -> dict[str, Any]:
    try:
        event = no_nul(json.loads(body))
    except ValueError:
        raise InvalidEvent("body", "not JSON") from None
    except RecursionError:
        raise InvalidEvent("body", "nested too deeply") from None
    if not isinstance(event, dict):
        raise InvalidEvent("body", "must be a JSON object (an EventBridge event)")
    if _depth(event) > MAX_DEPTH:
        raise InvalidEvent("body", f"nested deeper than {MAX_DEPTH} levels")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise InvalidEvent("id", "required (the EventBridge event id)")
    if "\x00" in event_id:
        raise InvalidEvent("id", "contains a NUL character")
    if len(event_id) > 255:
        raise InvalidEvent("id", "longer than 255 characters")
    if not isinstance(event.get("detail", {}), dict):
        raise InvalidEvent("detail", "must be an object")
    for name in ("source", "detail-type"):
        if name in event and not isinstance(event[name], str):
            raise InvalidEvent(name, "must be a string")
    return event


def _time(value: Any) -> datetime | None:
    """The event's time, or None when it cannot be read or lies outside 1970-2200 (a time the
    database could store but not give back, year 10000 in UTC say, is no time at all)."""
    moment: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            return None
    if moment is None or not 1970 <= moment.year <= 2200:
        return None
    return moment


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def no_nul(value: Any) -> Any:
    """PostgreSQL's text and jsonb cannot hold NUL, and UTF-8 cannot hold a lone surrogate:
    each becomes U+FFFD (strings in lists and objects too)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [no_nul(v) for v in value]
    if isinstance(value, dict):
        return {no_nul(k): no_nul(v) for k, v in value.items()}
    return value


def feed_event_receive(*, body: str, via: str = "HTTP") -> tuple[FeedEvent, bool]:
    """Store an event before anything else. (event, created); a duplicate ``id`` returns the
    stored one. A malformed body is stored as REJECTED and InvalidEvent raised."""
    body = no_nul(body)  # a NUL escaped inside the JSON stays as its escape
    try:
        event = _envelope(body)
    except InvalidEvent as exc:
        FeedEvent.objects.create(
            raw=body[:1_000_000], received_via=via, status=EventStatus.REJECTED, error=str(exc)
        )
        raise
    try:
        with transaction.atomic():
            stored = FeedEvent.objects.create(
                event_id=event["id"].strip(),
                received_via=via,
                source=no_nul(str(event.get("source", "")))[:255],
                detail_type=no_nul(str(event.get("detail-type", "")))[:255],
                event_time=_time(event.get("time")),
                raw=body[:1_000_000],
            )
    except IntegrityError:
        return FeedEvent.objects.get(event_id=event["id"].strip()), False
    transaction.on_commit(lambda: _process_soon(stored.pk))
    return stored, True


def feed_event_refuse_too_large(*, preview: bytes, size: int, cap: int) -> FeedEvent:
    """A body over the cap is not read whole; its first bytes are kept as a REJECTED event, so
    the dead-letter page shows what was sent and when."""
    return FeedEvent.objects.create(
        raw=no_nul(preview.decode("utf-8", errors="replace")),
        received_via="HTTP",
        status=EventStatus.REJECTED,
        error=f"body: {size} bytes; at most {cap} are accepted (the first bytes are kept)",
    )


def _process_soon(pk: int) -> None:
    from .tasks import feed_event_process_task

    try:
        feed_event_process_task.delay(pk)
    except Exception:  # the broker is down: beat's sweep processes it
        logger.exception("feed event: could not queue processing", extra={"feed_event": pk})


# --- Reading the detail defensively ------------------------------------------------------------


def _pick(data: dict, *names: str) -> Any:
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return value
    return None


def _nested(detail: dict, *names: str) -> Any:
    found = _pick(detail, *names)
    if found is not None:
        return found
    for container in ("order", "shoppingTrip", "payment", "cart", "data"):
        inner = detail.get(container)
        if isinstance(inner, dict):
            found = _pick(inner, *names)
            if found is not None:
                return found
    return None


def _amount(value: Any) -> tuple[Decimal | None, str]:
    currency = ""
    if isinstance(value, dict):
        currency = str(_pick(value, "currencyCode", "currency") or "")
        value = _pick(value, "amount", "value")
    if value is None or isinstance(value, bool):
        return None, currency
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"amount: {str(value)[:40]!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
        raise ValueError(f"amount: {str(value)[:40]!r} is not an amount")
    return amount.quantize(Decimal("0.01")), currency


def is_test_event(event: dict) -> bool:
    detail = event.get("detail") or {}
    flags = [detail.get(k) for k in ("test", "isTest", "testEvent", "is_test")]
    if any(f is True or str(f).lower() == "true" for f in flags):
        return True
    words = f"{event.get('detail-type', '')} {event.get('source', '')}".lower()
    return "test event" in words or words.strip().endswith(".test") or ".test " in words


def _kind_and_subtype(event: dict, detail: dict) -> tuple[str, str]:
    detail_type = str(event.get("detail-type", ""))
    words = detail_type.lower()
    candidates = [
        _nested(detail, "eventType", "event_type", "paymentEventType", "type", "status"),
        detail_type.replace(" ", ""),
        *detail_type.split(),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.replace(" ", "").lower() in _SUBTYPE_BY_LOWER:
            return EventKind.PAYMENT, _SUBTYPE_BY_LOWER[candidate.replace(" ", "").lower()]
    if "payment" in words:
        status = str(_nested(detail, "status") or "").upper()
        return EventKind.PAYMENT, status[:60]
    lines = _nested(detail, "cartItems", "items", "lineItems", "lines")
    if "cart" in words or isinstance(lines, list):
        return EventKind.CART, ""
    return EventKind.OTHER, ""


def _cart_lines(detail: dict) -> list[dict]:
    lines = _nested(detail, "cartItems", "items", "lineItems", "lines") or []
    read = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict):
            raise ValueError("cart line: must be an object")
        read.append(
            {
                "sku": str(_pick(line, "merchantSku", "sku", "id") or ""),
                "quantity": str(_pick(line, "quantityValue", "quantity") or ""),
                "price": str(_pick(line, "priceValue", "price") or ""),
                "tax": str(_pick(line, "taxValue", "tax") or ""),
                "list_price": str(_pick(line, "listPriceValue", "listPrice") or ""),
                "promotions": line.get("promotionInfos") or [],
            }
        )
    return read


def feed_event_process(*, event: FeedEvent) -> FeedEvent:
    """Map a stored event; never raises for its content (a failure is a dead letter)."""
    if event.status not in (EventStatus.RECEIVED, EventStatus.FAILED):
        return event
    event.attempts += 1
    try:
        data = no_nul(json.loads(event.raw))
        detail = data.get("detail") or {}
        kind, subtype = _kind_and_subtype(data, detail)
        event.kind, event.subtype = kind, subtype
        trip = _nested(detail, "shoppingTripId", "tripId", "idempotentShoppingTripId", "orderId")
        store_id = _nested(detail, "storeId", "store_id", "jwoStoreId")
        event.trip_id = str(trip or "")[:255]
        event.jwo_store_id = str(store_id or "")[:255]
        if is_test_event(data):
            event.status, event.error = EventStatus.TEST, ""
            event.mapped = {"kind": kind, "subtype": subtype, "test": True}
        elif kind == EventKind.OTHER:
            event.status, event.error = EventStatus.IGNORED, ""
        else:
            if not event.jwo_store_id:
                raise ValueError("detail.storeId: missing (no store to book the event to)")
            if not event.trip_id:
                raise ValueError("detail.shoppingTripId: missing (no trip to book the event to)")
            mapping = mapping_for_jwo_store(event.jwo_store_id)
            if mapping is None:
                raise ValueError(f"detail.storeId: {event.jwo_store_id!r} is not mapped")
            event.store_id = mapping.store_id
            mapped: dict[str, Any] = {"kind": kind, "subtype": subtype}
            if kind == EventKind.PAYMENT:
                amount, currency = _amount(_nested(detail, "amount", "paymentAmount", "total"))
                event.amount = amount
                event.currency = (currency or str(_nested(detail, "currency") or ""))[:3]
                event.card_brand = str(_nested(detail, "brand", "cardBrand") or "")[:30]
                event.card_last4 = str(_nested(detail, "cardLastFourDigits", "last4") or "")[-4:]
                mapped["reconciliation_id"] = str(_nested(detail, "reconciliationId") or "")
            else:
                mapped["lines"] = _cart_lines(detail)
            event.mapped = mapped
            event.status, event.error = EventStatus.PROCESSED, ""
    except (ValueError, TypeError, AttributeError, ArithmeticError, RecursionError) as exc:
        event.status, event.error = EventStatus.FAILED, (str(exc) or type(exc).__name__)[:1000]
    event.processed_at = timezone.now()
    event.save()
    if event.status == EventStatus.PROCESSED and event.subtype in DECLINE_SUBTYPES:
        decline_notify(event=event)
    if event.status == EventStatus.PROCESSED and event.kind == EventKind.CART:
        _deplete_stock(event)
    return event


def _deplete_stock(event: FeedEvent) -> int:
    """A store whose stock source is Amazon's CART event takes the cart's items out of stock
    here, once per trip (stock/services.py; the priced order then moves nothing). Lines whose
    SKU or quantity cannot be read are left out; the order's own pricing names them."""
    items = []
    for line in event.mapped.get("lines", []):
        try:
            quantity = Decimal(str(line.get("quantity") or ""))
        except InvalidOperation:
            continue
        if line.get("sku") and quantity.is_finite() and 0 < quantity <= 999_999:
            items.append((line["sku"], quantity))
    if not items:
        return 0
    return stock_deplete_for_cart_event(
        store=event.store, jwo_store_id=event.jwo_store_id, trip_id=event.trip_id, items=items
    )


def decline_notify(*, event: FeedEvent) -> int:
    """E-mail the store's contacts about a decline, once per event (a conditional update claims
    it). Returns how many were e-mailed."""
    claimed = FeedEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed or event.store_id is None:
        return 0
    emails = set(
        StoreContact.objects.filter(store_id=event.store_id, notify_declines=True).values_list(
            "email", flat=True
        )
    )
    alert_emails = store_settings(store=event.store_id).alert_emails
    emails = sorted(emails | set(email_list(alert_emails or "")))
    if not emails:
        return 0
    amount = f"{event.amount} {event.currency}".strip() if event.amount is not None else "?"
    card = f"{event.card_brand} …{event.card_last4}".strip() if event.card_last4 else "the card"
    send_mail(
        subject=f"Payment declined at {event.store.name}: trip {event.trip_id}",
        message=(
            f"Amazon reported {event.subtype} for trip {event.trip_id} at {event.store.name}: "
            f"{amount} on {card}.\n\nEvent {event.event_id} at {event.event_time or '?'}.\n"
            f"{settings.PORTAL_BASE_URL}/financial/orders/?q={event.trip_id}\n"
        ),
        from_email=None,
        recipient_list=emails,
    )
    logger.info("decline e-mailed", extra={"trip_id": event.trip_id, "feed_event": event.event_id})
    return len(emails)


def feed_event_replay(*, event: FeedEvent) -> FeedEvent:
    """Process a dead-lettered event again (after its store was mapped, say)."""
    if event.status != EventStatus.FAILED:
        return event
    return feed_event_process(event=event)


def feed_events_sweep(*, older_than_seconds: int = 10, limit: int = 500) -> int:
    """Process events whose task never ran (the broker was down, a worker died)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    done = 0
    for event in FeedEvent.objects.filter(
        status=EventStatus.RECEIVED, created_at__lt=cutoff
    ).order_by("created_at")[:limit]:
        feed_event_process(event=event)
        done += 1
    return done


def feed_events_consume(*, max_batches: int = 10) -> int:
    """The SQS alternative: each message body is an EventBridge event (or an SNS envelope of
    one). Stored, then deleted; a malformed one is stored as REJECTED and deleted too."""
    sqs = aws.sqs_client()
    url = aws.queue_url(
        sqs, url=settings.JWO_EVENT_SQS_QUEUE_URL, name=settings.JWO_EVENT_SQS_QUEUE_NAME
    )
    stored = 0
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            break
        for message in messages:
            body = message.get("Body", "")
            kind, inner = parse_sns(body)
            if kind == "Notification":
                body = json.dumps(inner)
            try:
                _, created = feed_event_receive(body=body, via="SQS")
                stored += int(created)
            except InvalidEvent:
                pass  # kept as REJECTED
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return stored
