"""What a paid order books (engine.py step 3, *Finish*): the card and store-credit tenders of a
capture. Who owes and the debt from the first decline are the ledger's (shoppers/ledger.py)."""

from decimal import Decimal

from jwo_console.compiledsql import insert_once
from jwo_console.money import ZERO
from orders.models import Order

from .choices import (
    TenderKind,
)
from .models import PaymentAttempt, Tender


def _book_tenders(*, order: Order, attempt: PaymentAttempt, captured: Decimal) -> Decimal:
    """The tenders of a paid order: the card for what was captured and, when that was short of
    the total, store credit for the rest (seed 000: what exceeds the authorized amount "is taken
    as Store Credit"); the store credit stays owed on the shopper's ledger. Returns it."""
    remainder = max(order.total - captured, ZERO)
    if captured > 0:
        insert_once(
            Tender,
            unique="reference",
            values={
                "reference": f"{attempt.idempotency_key}:card",
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.CARD,
                "amount": captured,
                "currency": order.currency,
            },
        )
    if remainder > 0:
        insert_once(
            Tender,
            unique="reference",
            values={
                "reference": f"{attempt.idempotency_key}:store-credit",
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.STORE_CREDIT,
                "amount": remainder,
                "currency": order.currency,
            },
        )
    return remainder
