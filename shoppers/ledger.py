"""The shopper ledger, in one place: who owes (parties), booking entries once, balances, and the
references that make a debt or a payment bookable exactly once.

Positive amounts are owed; payments, payoffs and credit are negative. The gate reads balances
here (shoppers/services.py); payments books debts, captures and payoffs here; the portal names
its shopper's party here. Orders are read only through the attributes used (``trip``, ``pk``,
``total``, ``currency``, ``purchase_id``), so this module imports nothing above shoppers.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from jwo_console.money import ZERO, quantize

from .choices import LedgerKind
from .models import LedgerEntry, Shopper


class _Trip(Protocol):
    trip_id: str
    shopper_id: int | None
    shopper: Any
    amazon_shopper_id: str
    payment_source_id: str


class _Order(Protocol):
    pk: Any
    trip: _Trip
    total: Decimal
    currency: str
    purchase_id: str


# --- parties -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Whose balance: an app shopper (their ledger), the cards Amazon knows an e-mailed
    card-entry shopper by, or — ``trip_ids`` alone — a card lookup's single trip."""

    shopper: Shopper | None = None
    card_tokens: tuple[str, ...] = ()
    trip_ids: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        if self.shopper is not None:
            return f"shopper:{self.shopper.pk}"
        if self.card_tokens:
            return "card:" + ",".join(sorted(self.card_tokens))[:290]
        return "trip:" + ",".join(sorted(self.trip_ids))[:290]

    def ledger_filter(self) -> Q:
        q = Q(pk__in=[])
        if self.shopper is not None:
            q |= Q(shopper=self.shopper)
        if self.card_tokens:
            q |= Q(shopper__isnull=True, card_token__in=self.card_tokens)
        if self.trip_ids and self.shopper is None and not self.card_tokens:
            q |= Q(trip_id__in=self.trip_ids)
        return q


def ledger_party(order: _Order) -> dict[str, Any]:
    """Who owes for an order (as ``ledger_book`` keywords): the app shopper, or for a card entry
    Amazon's id of the card's shopper (the id F&A asks about at the gate)."""
    trip = order.trip
    if trip.shopper_id:
        return {"shopper": trip.shopper, "card_token": "", "trip_id": trip.trip_id}
    card = trip.amazon_shopper_id or trip.payment_source_id
    return {"shopper": None, "card_token": card, "trip_id": trip.trip_id}


# --- booking -------------------------------------------------------------------------------


def ledger_book(
    *,
    reference: str,
    kind: str,
    amount: Decimal,
    currency: str,
    shopper: Shopper | None = None,
    card_token: str = "",
    trip_id: str = "",
    note: str = "",
) -> LedgerEntry:
    """Book one entry on a shopper's (or a card's) standing, once per ``reference``: the unique
    constraint is the idempotency, so a retried booking returns the entry already made.
    Positive amounts are owed; payments are negative."""
    if shopper is None and not card_token:
        raise ValueError("a ledger entry needs a shopper or a card token")
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                reference=reference,
                kind=kind,
                amount=quantize(amount, currency),
                currency=currency,
                shopper=shopper,
                card_token=card_token[:255],
                trip_id=trip_id[:255],
                note=note[:300],
            )
    except IntegrityError:
        return LedgerEntry.objects.get(reference=reference)


def ledger_has(*, reference: str) -> bool:
    return LedgerEntry.objects.filter(reference=reference).exists()


# --- debt references -----------------------------------------------------------------------


def debt_reference(order: _Order) -> str:
    """The one reference an order's debt is booked under."""
    return f"order:{order.pk}:debt"


def book_debt(order: _Order) -> None:
    """The whole order is owed from its first decline (once: the reference is unique)."""
    ledger_book(
        reference=debt_reference(order),
        kind=LedgerKind.DEBT,
        amount=order.total,
        currency=order.currency,
        note=f"Order {order.purchase_id}: payment declined",
        **ledger_party(order),
    )


# --- balances ------------------------------------------------------------------------------


def shopper_outstanding_balance(*, shopper: Shopper) -> Decimal:
    """What the shopper owes (positive) or has in credit (negative), to the cent."""
    return quantize(shopper.ledger.aggregate(total=Sum("amount"))["total"] or ZERO)


def card_outstanding_balance(*, card_token: str) -> Decimal:
    """What a card-entry shopper (known to us only by Amazon's card id) owes."""
    total = LedgerEntry.objects.filter(card_token=card_token).aggregate(total=Sum("amount"))
    return quantize(total["total"] or ZERO)


def trip_outstanding(*, trip_id: str) -> Decimal:
    """What is still owed for one trip (its debt minus what was collected since)."""
    total = LedgerEntry.objects.filter(trip_id=trip_id).aggregate(total=Sum("amount"))["total"]
    return quantize(total or ZERO)


def party_owed_by_trip(party: Party) -> tuple[dict[str, dict], Decimal]:
    """The party's trips that owe (trip id → its row: ``trip_id``, ``currency``, ``total``) and
    the store credit apart (the negative trip sums, not netted against the debts)."""
    sums = (
        LedgerEntry.objects.filter(party.ledger_filter())
        .values("trip_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    rows = [{**row, "total": quantize(row["total"] or ZERO, row["currency"])} for row in sums]
    owed = {row["trip_id"]: row for row in rows if row["total"] > 0}
    credit = sum((-row["total"] for row in rows if row["total"] < 0), ZERO)
    return owed, credit


@dataclass(frozen=True)
class BalanceSummary:
    total: Decimal
    currency: str
    trips: int


def balance_summary(*, party: Party) -> BalanceSummary:
    """What is owed and for how many trips, from the ledger alone (the trips page's banner)."""
    owed, _ = party_owed_by_trip(party)
    if not owed:
        return BalanceSummary(ZERO, "USD", 0)
    currency = next(iter(owed.values()))["currency"]
    rows = [row for row in owed.values() if row["currency"] == currency]
    return BalanceSummary(sum((r["total"] for r in rows), ZERO), currency, len(rows))
