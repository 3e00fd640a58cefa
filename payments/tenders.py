"""What a paid or declined order books (engine.py step 3, *Finish*): who owes, the debt from
the first decline, the card and store-credit tenders of a capture."""

from decimal import Decimal
from typing import Any

from orders.models import Order
from shoppers.choices import LedgerKind
from shoppers.services import ledger_book

from .attempts import ZERO
from .choices import (
    TenderKind,
)
from .models import PaymentAttempt, Tender


def debt_reference(order: Order) -> str:
    return f"order:{order.pk}:debt"


def ledger_party(order: Order) -> dict[str, Any]:
    """Who owes: the app shopper, or for a card entry Amazon's id of the card's shopper (the id
    F&A asks about at the gate)."""
    trip = order.trip
    if trip.shopper_id:
        return {"shopper": trip.shopper, "card_token": "", "trip_id": trip.trip_id}
    card = trip.amazon_shopper_id or trip.payment_source_id
    return {"shopper": None, "card_token": card, "trip_id": trip.trip_id}


def book_debt(order: Order) -> None:
    """The whole order is owed from its first decline (once: the reference is unique)."""
    ledger_book(
        reference=debt_reference(order),
        kind=LedgerKind.DEBT,
        amount=order.total,
        currency=order.currency,
        note=f"Order {order.purchase_id}: payment declined",
        **ledger_party(order),
    )


def _book_tenders(*, order: Order, attempt: PaymentAttempt, captured: Decimal) -> Decimal:
    """The tenders of a paid order: the card for what was captured and, when that was short of
    the total, store credit for the rest (seed 000: what exceeds the authorized amount "is taken
    as Store Credit"); the store credit stays owed on the shopper's ledger. Returns it."""
    remainder = max(order.total - captured, ZERO)
    if captured > 0:
        Tender.objects.get_or_create(
            reference=f"{attempt.idempotency_key}:card",
            defaults={
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.CARD,
                "amount": captured,
                "currency": order.currency,
            },
        )
    if remainder > 0:
        Tender.objects.get_or_create(
            reference=f"{attempt.idempotency_key}:store-credit",
            defaults={
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.STORE_CREDIT,
                "amount": remainder,
                "currency": order.currency,
            },
        )
    return remainder
