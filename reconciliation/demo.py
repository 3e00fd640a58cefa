"""A reconciled demo for ``make run``: two days of the demo store's JWO orders, Amazon's
intra-day files of them loaded through the real loader, a few events through the real feed
processing, and both days reconciled — the day before yesterday clean, yesterday with two
discrepancies (a trip Amazon's file lacks, an amount Amazon reports differently). Idempotent:
a second run changes nothing. The sandbox adds files and events every 30 s from live trips.

Every demo order is one the connector made: the sandbox (playing Amazon) opens the trip with
the gate's pre-auth and its cart, the order is created from that CreatePurchases
(``order_create_from_purchase``), priced by the pricing service and charged by the payment
engine against the sandbox over HTTP, at the times of that day (automatic retries included,
up to now). A declined card stays declined in the sandbox, except on yesterday's trip
``RETRY_SUCCEEDS``: the shopper's bank cleared the card after the last automatic retry, so a
staff Retry of that order is approved. The sandbox must be reachable (the management command
serves it: sandbox/served.py)."""

import csv
import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from catalog.models import StoreItem
from feeds.events import feed_event_process
from feeds.intraday import intraday_file_load
from feeds.models import FeedEvent, FileVia, IntradayFile, StoreContact
from orders.choices import NextAction, OrderStatus
from orders.models import Order, OrderEvent
from orders.services import order_create_from_purchase, order_price
from payments.choices import AttemptTrigger
from payments.models import PaymentAttempt
from payments.services import payment_collect
from stock.models import StockMovement
from stores.models import JwoStoreMapping

from .models import RunTrigger
from .services import reconciliation_run, store_today

HEADERS = ["order_id", "store_id", "order_time", "order_status", "currency", "order_total",
           "captured_amount", "refunded_amount", "line_id", "sku", "quantity", "line_amount",
           "line_tax", "settlement_batch"]  # fmt: skip
TRIPS_A_DAY = 24
DECLINED = (5, 17)  # the card is declined at the exit (and on every automatic retry)
EMPTY = 11  # the shopper took nothing: the pre-auth is released
RETRY_SUCCEEDS = 17  # yesterday's: the card approves once its automatic retries have run


def _trip_plan(day, store) -> list[tuple[str, datetime, str, int]]:
    """(trip id, walked out at, card profile, n) of one demo day."""
    rows = []
    for n in range(TRIPS_A_DAY):
        ended = datetime.combine(day, time(8), tzinfo=store.zone) + timedelta(minutes=37 * n)
        profile = "DECLINE" if n in DECLINED else "OK"
        rows.append((f"demo-{day:%m%d}-{n:02d}", ended, profile, n))
    return rows


def _cart(skus: list[str], n: int) -> list[dict]:
    """A small cart of the store's items (none for the empty trip), the same on every run."""
    if n == EMPTY or not skus:
        return []
    picked = [skus[(n * 7 + k * 3) % len(skus)] for k in range(1 + n % 4)]
    return [
        {
            "id": sku,
            "type": "SKU",
            "quantity": {"value": f"{1 + (n + k) % 2}.0", "unit": "unit"},
            "lineItemId": f"li-{k + 1}",
        }
        for k, sku in enumerate(dict.fromkeys(picked))
    ]


def _purchase(mapping: JwoStoreMapping, trip_id: str, ended: datetime, cart: list[dict]):
    """CreatePurchases as the connector hands it over (parsed ``data``, ``raw`` body)."""
    started = ended - timedelta(minutes=6)
    event = {"id": f"fin-{trip_id}", "timestamp": started.isoformat(), "location": "ENTRY",
             "payloadType": "FINANCIAL"}  # fmt: skip
    raw = {
        "idempotentShoppingTripId": trip_id,
        "storeId": mapping.jwo_store_id,
        "shoppingTrip": {"startTime": started.isoformat(), "endTime": ended.isoformat(),
                         "authEvents": [event]},
        "cartItems": cart,
        "shopperIdentity": {"id": f"demo-shopper-{trip_id[-2:]}"},
        "paymentSource": {"id": f"pm-{trip_id}"},
    }  # fmt: skip
    data = {**raw, "shoppingTrip": {**raw["shoppingTrip"], "startTime": started,
                                    "endTime": ended}}  # fmt: skip
    return data, raw


def _at(order: Order, when: datetime, step) -> None:
    """Run ``step`` as of ``when``: the events, attempts, completion and stock movements it
    writes carry that time (the engine stamps its rows with the clock; a demo day is in the
    past)."""
    last_event = OrderEvent.objects.filter(order=order).order_by("-pk").first()
    last_attempt = PaymentAttempt.objects.filter(order=order).order_by("-pk").first()
    started = timezone.now()
    step()
    events = OrderEvent.objects.filter(order=order, created_at__gte=started)
    if last_event is not None:
        events = events.filter(pk__gt=last_event.pk)
    events.update(created_at=when)
    attempts = PaymentAttempt.objects.filter(order=order)
    new = attempts.filter(pk__gt=last_attempt.pk) if last_attempt else attempts
    new.update(created_at=when)
    attempts.filter(finished_at__gte=started).update(finished_at=when, updated_at=when)
    Order.objects.filter(pk=order.pk, completed_at__gte=started).update(completed_at=when)
    Order.objects.filter(pk=order.pk, priced_at__gte=started).update(priced_at=when)
    # The stock its pricing took out is sold that day (Catalog → Stock's sold today / 7 days).
    StockMovement.objects.filter(order=order, created_at__gte=started).update(created_at=when)


def _demo_order(mapping, trip_id: str, ended: datetime, profile: str, cart: list[dict], *,
                clears: bool) -> Order:  # fmt: skip
    """The sandbox's trip, then the order made, priced and charged as the connector would."""
    from sandbox.models import SandboxTrip  # the stand-in's side (the demo runs with it only)
    from sandbox.trips import known_store, open_trip

    open_trip(store=known_store(mapping.jwo_store_id), trip_id=trip_id, profile=profile,
              shopper_id=f"demo-shopper-{trip_id[-2:]}")  # fmt: skip
    SandboxTrip.objects.filter(trip_id=trip_id).update(
        cart=[{"id": i["id"], "quantity": i["quantity"]["value"]} for i in cart],
        created_at=ended - timedelta(minutes=6),
        shopper_email="",  # no address on file: seeding e-mails no receipt and no decline
    )
    data, raw = _purchase(mapping, trip_id, ended, cart)
    created = timezone.now()
    order, _ = order_create_from_purchase(mapping=mapping, data=data, raw=raw)
    # Created as the shopper walked out (the retry schedule and window count from it); the
    # connector prices it as it stores it, a minute later here, and its stock leaves then.
    first = ended + timedelta(minutes=1)
    Order.objects.filter(pk=order.pk).update(created_at=ended)
    Order.objects.filter(pk=order.pk, priced_at__gte=created).update(priced_at=first)
    OrderEvent.objects.filter(order=order).update(created_at=ended)
    StockMovement.objects.filter(order=order, created_at__gte=created).update(created_at=first)
    _at(order, first, lambda: order_price(order_id=order.pk))
    initial = AttemptTrigger.INITIAL
    _at(order, first, lambda: payment_collect(order_id=order.pk, trigger=initial, now=first))
    # The automatic retries the sweep would have made by now; one due in the last few minutes
    # is left to the sweep, so that a staff Retry is not refused for the cooldown.
    now = timezone.now() - timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES)
    while True:
        order.refresh_from_db()
        due = order.next_action_at
        if order.status != OrderStatus.ERROR or order.next_action != NextAction.PAY:
            break
        if due is None or due > now:
            break
        _at(order, due, lambda due=due: payment_collect(
            order_id=order.pk, trigger=AttemptTrigger.AUTO, now=due))  # fmt: skip
    if clears:
        SandboxTrip.objects.filter(trip_id=trip_id).update(card_profile="OK")
    order.refresh_from_db()
    return order


def _amazon_status(order: Order) -> str:
    if order.captured_amount > 0:
        return "CAPTURED"
    return "DECLINED" if order.status == OrderStatus.ERROR else "CANCELLED"


def _file_rows(order: Order, reported: Decimal, batch: str) -> list[list]:
    """Amazon's rows of one order: one per line (one without a line for an empty cart)."""
    trip = order.trip
    head = [trip.trip_id, trip.jwo_store_id, trip.ended_at.isoformat(), _amazon_status(order),
            order.currency, reported, order.captured_amount, "0.00"]  # fmt: skip
    lines = list(order.lines.order_by("line_no"))
    if not lines:
        return [[*head, "", "", "", "", "", batch]]
    return [[*head, line.line_no, line.sku, line.quantity.normalize(), line.total, line.tax, batch]
            for line in lines]  # fmt: skip


def seed_demo_reconciliation(*, jwo_store_id: str = "jwo-demo-store-1") -> list:
    mapping = JwoStoreMapping.objects.select_related("store").filter(jwo_store_id=jwo_store_id)
    mapping = mapping.first()
    if mapping is None:
        return []
    store = mapping.store
    StoreContact.objects.get_or_create(
        store=store, email="store-manager@demo.example", defaults={"name": "Store manager"}
    )
    skus = list(
        StoreItem.objects.filter(store=store, is_active=True, item__merchant=store.merchant)
        .order_by("item__sku")
        .values_list("item__sku", flat=True)
    )
    today = store_today(store=store)
    runs = []
    for back, clean in ((2, True), (1, False)):
        day = today - timedelta(days=back)
        key = f"demo/{jwo_store_id}/{day:%Y/%m/%d}/intraday-demo.csv"
        if IntradayFile.objects.filter(key=key).exists():
            continue
        orders = []
        for trip_id, ended, profile, n in _trip_plan(day, store):
            order = Order.objects.filter(trip__jwo_store_id=jwo_store_id, trip__trip_id=trip_id)
            order = order.select_related("trip").first() or _demo_order(
                mapping, trip_id, ended, profile, _cart(skus, n),
                clears=not clean and n == RETRY_SUCCEEDS,
            )  # fmt: skip
            orders.append(order)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        for n, order in enumerate(orders):
            if not clean and n == 3:
                continue  # missing at Amazon
            reported = order.total + Decimal("1.00") if not clean and n == 8 else order.total
            writer.writerows(_file_rows(order, reported, f"B{day:%Y%m%d}"))
        file = IntradayFile.objects.create(
            bucket="demo", key=key, etag=f"demo-{day:%Y%m%d}",
            last_modified=datetime.combine(day, time(23, 45), tzinfo=store.zone),
            received_via=FileVia.MANUAL, content=buffer.getvalue(),
        )  # fmt: skip
        intraday_file_load(file=file)
        for order in orders[:6]:
            trip_id, total = order.trip.trip_id, order.total
            subtype = "CaptureApproved" if order.captured_amount > 0 else "AuthorizationDeclined"
            event = FeedEvent.objects.create(
                event_id=f"demo-{trip_id}-{subtype}", source="aws.justwalkout",
                detail_type="JWO Payment Event",
                raw=json.dumps({"id": f"demo-{trip_id}-{subtype}", "detail-type":
                                "JWO Payment Event", "detail": {
                                    "storeId": jwo_store_id, "shoppingTripId": trip_id,
                                    "status": subtype, "amount": {"amount": str(total),
                                                                   "currencyCode": "USD"}}}),
            )  # fmt: skip
            FeedEvent.objects.filter(pk=event.pk).update(notified_at=event.created_at)  # quiet
            event.refresh_from_db()
            feed_event_process(event=event)
        runs.append(reconciliation_run(store=store, day=day, trigger=RunTrigger.SCHEDULE))
    return runs
