import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order, OrderLine, ShoppingTrip
from sandbox.models import SandboxTrip
from tests.factories import JwoStoreMappingFactory


@pytest.fixture
def mapping(sandbox):
    """A mapped store whose Amazon is the sandbox on the live server (real HTTP, signed)."""
    return JwoStoreMappingFactory(jwo_store_id="jwo-pay-1", preauth_amount=Decimal("25.00"))


def trip_id(*tokens: str) -> str:
    """A sandbox steering id: ``test-decline-preauth2000-<random>``."""
    return "-".join(["test", *tokens, uuid.uuid4().hex[:8]])


def make_order(
    mapping,
    *,
    total: str = "10.00",
    trip: str | None = None,
    lines: int = 1,
    shopper=None,
    age: timedelta = timedelta(0),
    status: str = "PRICED",
) -> Order:
    """A priced order for a sandbox trip, ``age`` old (for the 48-hour rules)."""
    now = timezone.now() - age
    amount = Decimal(total)
    trip_row = ShoppingTrip.objects.create(
        store=mapping.store,
        jwo_store_id=mapping.jwo_store_id,
        trip_id=trip or trip_id("ok"),
        started_at=now - timedelta(minutes=3),
        ended_at=now,
        entry_method="APP" if shopper else "CARD",
        shopper=shopper,
        auth_events=[],
        cart_items=[{"id": "WATER", "quantity": {"value": "1.0", "unit": "each"}}] * lines,
        amazon_shopper_id="" if shopper else "amzn-card-7",
    )
    order = Order.objects.create(
        trip=trip_row,
        store=mapping.store,
        delegation_mode="ORDER",
        currency="USD",
        status=status,
        sub_total=amount,
        total=amount,
        priced_at=now,
        next_action="PAY" if status == "PRICED" else "",
        next_action_at=now if status == "PRICED" else None,
    )
    Order.objects.filter(pk=order.pk).update(created_at=now, purchase_id=f"JWO{order.pk:010d}")
    per_line = amount / lines if lines else Decimal("0")
    for n in range(1, lines + 1):
        OrderLine.objects.create(
            order=order,
            line_no=n,
            sku="WATER",
            name="Water",
            quantity=Decimal("1"),
            unit="each",
            unit_price=per_line,
            price=per_line,
            total=per_line,
        )
    order.refresh_from_db()
    return order


def sandbox_trip(order: Order) -> SandboxTrip:
    return SandboxTrip.objects.get(trip_id=order.trip.trip_id)
