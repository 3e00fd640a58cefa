"""A shopper's outstanding balance and paying it off in the portal (services for ``Payoff``).

Whose balance is a ``Party`` (shoppers/ledger.py, with the ledger's balances and bookings).

Paying it off, exactly once:

1. ``payoff_start``: the balance is read again and fixed in a ``Payoff`` row (which trips, how
   much each), committed (at most one unfinished payoff per party: a partial unique
   constraint), then the processor's hosted session is created with the payoff's UUID as its
   idempotency key. The shopper goes to the processor's page; no card number reaches us.
2. ``payoff_confirm`` (the shopper coming back, or beat's reconcile for one who never did): the
   processor is asked, server to server, whether the session is PAID. If so, one transaction
   books a PAYOFF entry per trip on the ledger (unique references), completes each order still in
   ERROR (so no automatic retry captures it again), and queues a ReportPaymentStatus per trip
   for Amazon-managed F&A. The processor's payment id is unique on the row.
"""

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.processor import client as processor_api
from integrations.processor.client import ProcessorError, ProcessorUnavailable
from jwo_console.exceptions import ApplicationError, ConflictError
from jwo_console.money import ZERO
from orders.choices import OrderStatus
from orders.models import Order
from orders.services import order_event, order_transition
from shoppers.choices import LedgerKind
from shoppers.ledger import (
    Party,
    ledger_book,
    ledger_party,
    party_owed_by_trip,
    trip_outstanding,
)

from . import signals
from .choices import PAYOFF_UNFINISHED, AttemptStatus, OwedReason, PayoffStatus, TenderKind
from .models import Payoff, Tender
from .reports import payment_status_report_queue

logger = logging.getLogger(__name__)


class NothingOwed(ApplicationError):
    pass


class PayoffInProgress(ConflictError):
    pass


@dataclass(frozen=True)
class OwedTrip:
    order: Order
    owed: Decimal
    reason: str

    @property
    def reason_label(self) -> str:
        return OwedReason(self.reason).label


@dataclass(frozen=True)
class Balance:
    total: Decimal
    currency: str
    trips: list[OwedTrip] = field(default_factory=list)
    credit: Decimal = ZERO


def _reason(order: Order, now: datetime) -> str:
    """Declined (nothing collected yet), partly collected, or — the retry window closed with
    nothing collected — the gate's authorization expired with the trip unpaid."""
    if order.captured_amount > 0:
        return OwedReason.PARTIAL
    if now >= order.retry_by:
        return OwedReason.EXPIRED
    return OwedReason.DECLINED


def balance_for(*, party: Party, now: datetime | None = None) -> Balance:
    """The balance and its breakdown by trip (oldest first). Store credit (a negative sum on a
    trip) is reported apart and not netted against what other trips owe."""
    now = now or timezone.now()
    owed, credit = party_owed_by_trip(party)
    orders = (
        Order.objects.filter(trip__trip_id__in=list(owed))
        .select_related("trip", "store")
        .order_by("trip__ended_at")
    )
    trips = [
        OwedTrip(order=o, owed=owed[o.trip.trip_id]["total"], reason=_reason(o, now))
        for o in orders
    ]
    currency = trips[0].order.currency if trips else "USD"
    trips = [t for t in trips if t.order.currency == currency]  # one currency per payoff
    return Balance(
        total=sum((t.owed for t in trips), ZERO), currency=currency, trips=trips, credit=credit
    )


def payoff_start(
    *,
    party: Party,
    email: str,
    return_url: str,
    cancel_url: str,
    now: datetime | None = None,
) -> Payoff:
    """Fix the balance in a payoff and open the processor's hosted page for it. An unfinished
    payoff of the same party is reused when it is for the same amount, confirmed if the shopper
    already paid it, and otherwise closed at the processor first."""
    now = now or timezone.now()
    open_payoff = Payoff.objects.filter(party=party.key, status__in=PAYOFF_UNFINISHED).first()
    if open_payoff is not None:
        open_payoff = _settle_open(open_payoff)
        if open_payoff.status == PayoffStatus.PAID:
            return open_payoff
    balance = balance_for(party=party, now=now)
    if balance.total <= 0:
        raise NothingOwed("There is nothing to pay: your balance is clear.")
    if open_payoff is not None and open_payoff.status == PayoffStatus.OPEN:
        if open_payoff.amount == balance.total and open_payoff.processor_url:
            return open_payoff
        _cancel(open_payoff, reason="the balance changed; a new payment was started")
    order_ids = [t.order.pk for t in balance.trips]
    try:
        with transaction.atomic():
            # The orders' rows are locked as a payment attempt locks them: an attempt cannot
            # start on these trips while the payoff is open, nor a payoff beside a running one.
            list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))
            busy = Order.objects.filter(
                pk__in=order_ids, payment_attempts__status=AttemptStatus.STARTED
            )
            if busy.exists():
                raise PayoffInProgress(
                    "A payment for one of these trips is being taken right now. "
                    "Try again in a minute."
                )
            payoff = Payoff.objects.create(
                party=party.key,
                shopper=party.shopper,
                card_token=party.card_tokens[0] if party.card_tokens else "",
                email=email,
                amount=balance.total,
                currency=balance.currency,
                items=[
                    {
                        "order_id": t.order.pk,
                        "trip_id": t.order.trip.trip_id,
                        "purchase_id": t.order.purchase_id,
                        "amount": str(t.owed),
                    }
                    for t in balance.trips
                ],
            )
            payoff.orders.set(order_ids)
    except IntegrityError as exc:
        raise PayoffInProgress("A payment was just started; finish it or try again.") from exc
    stores = sorted({t.order.store.name for t in balance.trips})
    try:
        session = processor_api.client().create_session(
            amount=payoff.amount,
            currency=payoff.currency,
            reference=str(payoff.public_id),
            description=f"Outstanding balance · {', '.join(stores)}",
            return_url=return_url,
            cancel_url=cancel_url,
            idempotency_key=f"payoff:{payoff.public_id}",
        )
    except ProcessorError as exc:
        _cancel(payoff, reason=str(exc))
        raise ApplicationError(
            "The card processor did not answer. Nothing was charged; try again in a minute."
        ) from exc
    Payoff.objects.filter(pk=payoff.pk).update(
        processor_session_id=session.id,
        processor_url=session.url,
        status=PayoffStatus.OPEN,
        updated_at=timezone.now(),
    )
    payoff.refresh_from_db()
    logger.info(
        "payoff started: %s %s over %s trips",
        payoff.amount,
        payoff.currency,
        len(payoff.items),
        extra={"payoff_id": payoff.pk},
    )
    return payoff


def _cancel(payoff: Payoff, *, reason: str) -> None:
    if payoff.processor_session_id and payoff.status == PayoffStatus.OPEN:
        try:
            session = processor_api.client().expire_session(payoff.processor_session_id)
        except ProcessorError as exc:
            raise PayoffInProgress(
                "The card processor did not answer about your last payment. Try again shortly."
            ) from exc
        if (
            session.status == processor_api.SESSION_PAID
        ):  # paid a moment ago: book it instead of cancelling
            payoff_confirm(payoff_id=payoff.pk)
            return
    Payoff.objects.filter(pk=payoff.pk, status__in=PAYOFF_UNFINISHED).update(
        status=PayoffStatus.CANCELLED, error=reason[:300], updated_at=timezone.now()
    )


def _settle_open(payoff: Payoff) -> Payoff:
    """An unfinished payoff: confirmed if paid at the processor, else left as it is."""
    if payoff.status == PayoffStatus.OPEN:
        payoff = payoff_confirm(payoff_id=payoff.pk)
    elif payoff.created_at < timezone.now() - timedelta(minutes=5):
        _cancel(payoff, reason="never reached the card processor")
        payoff.refresh_from_db()
    return payoff


def payoff_confirm(*, payoff_id: int, now: datetime | None = None) -> Payoff:
    """Ask the processor (never the shopper's redirect) whether the payoff is paid, and book it
    once. The processor not answering leaves it OPEN for the next look."""
    now = now or timezone.now()
    payoff = Payoff.objects.get(pk=payoff_id)
    if payoff.status != PayoffStatus.OPEN or not payoff.processor_session_id:
        return payoff
    try:
        session = processor_api.client().get_session(payoff.processor_session_id)
    except ProcessorUnavailable as exc:
        logger.warning("payoff not confirmed yet: %s", exc, extra={"payoff_id": payoff.pk})
        return payoff
    if session.status == "EXPIRED":
        Payoff.objects.filter(pk=payoff.pk, status=PayoffStatus.OPEN).update(
            status=PayoffStatus.CANCELLED, error="expired at the card processor"
        )
        payoff.refresh_from_db()
        return payoff
    if session.status != processor_api.SESSION_PAID:
        return payoff
    if session.amount != payoff.amount or session.currency != payoff.currency:
        logger.error(
            "payoff amount mismatch: processor %s %s",
            session.amount,
            session.currency,
            extra={"payoff_id": payoff.pk},
        )
        Payoff.objects.filter(pk=payoff.pk).update(
            error=f"processor reports {session.amount} {session.currency}; staff must check"
        )
        return payoff
    with transaction.atomic():
        locked = Payoff.objects.select_for_update().get(pk=payoff.pk)
        if locked.status != PayoffStatus.OPEN:
            return locked
        locked.status = PayoffStatus.PAID
        locked.processor_payment_id = session.payment_id or None
        locked.card_brand = session.card_brand
        locked.card_last4 = session.card_last4
        locked.paid_at = now
        locked.error = ""
        locked.save()
        for item in locked.items:
            _book_item(payoff=locked, item=item, now=now)
        transaction.on_commit(lambda: signals.payoff_paid.send(sender=None, payoff_id=payoff.pk))
    logger.info(
        "payoff paid: %s %s", locked.amount, locked.currency, extra={"payoff_id": locked.pk}
    )
    return locked


def _book_item(*, payoff: Payoff, item: dict, now: datetime) -> None:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("trip")
        .get(pk=item["order_id"])
    )
    amount = Decimal(item["amount"])
    ledger_book(
        reference=f"payoff:{payoff.pk}:trip:{order.trip.trip_id}",
        kind=LedgerKind.PAYOFF,
        amount=-amount,
        currency=payoff.currency,
        note=f"Order {order.purchase_id}: paid off in the portal",
        **ledger_party(order),
    )
    order_event(
        order=order,
        type="balance_paid_off",
        amount=str(amount),
        payoff=str(payoff.public_id),
        processor_payment_id=payoff.processor_payment_id or "",
    )
    Tender.objects.get_or_create(
        reference=f"payoff:{payoff.pk}:order:{order.pk}",
        defaults={
            "order": order,
            "kind": TenderKind.PAYOFF,
            "amount": amount,
            "currency": payoff.currency,
        },
    )
    still_owed = trip_outstanding(trip_id=order.trip.trip_id)
    if order.status == OrderStatus.ERROR and still_owed <= 0:
        order_transition(
            order=order,
            to=OrderStatus.COMPLETED,
            reason=f"the shopper paid {amount} {payoff.currency} in the portal",
            fields={
                "next_action": "",
                "next_action_at": None,
                "error_stage": "",
                "error_message": "",
                "completed_at": now,
            },
        )
    payment_status_report_queue(
        order=order, reference=f"payoff:{payoff.pk}:order:{order.pk}", when=now
    )


def payoff_cancel(*, payoff: Payoff) -> Payoff:
    """The shopper came back from the processor's page with "Cancel"."""
    if payoff.status == PayoffStatus.OPEN:
        _cancel(payoff, reason="cancelled by the shopper")
    payoff.refresh_from_db()
    return payoff


def payoffs_reconcile(*, now: datetime | None = None, older_than_seconds: int = 60) -> int:
    """Beat: payoffs left OPEN (the shopper paid and closed the tab) are asked about again;
    those still unpaid after a day are closed at the processor."""
    now = now or timezone.now()
    confirmed = 0
    stale = Payoff.objects.filter(
        status=PayoffStatus.OPEN, updated_at__lte=now - timedelta(seconds=older_than_seconds)
    )
    for payoff in stale.order_by("updated_at")[:100]:
        result = payoff_confirm(payoff_id=payoff.pk, now=now)
        if result.status == PayoffStatus.PAID:
            confirmed += 1
        elif result.status == PayoffStatus.OPEN and result.created_at < now - timedelta(days=1):
            with contextlib.suppress(PayoffInProgress):
                _cancel(result, reason="not paid within a day")
        else:
            Payoff.objects.filter(pk=payoff.pk).update(updated_at=now)
    return confirmed
