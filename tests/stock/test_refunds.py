from decimal import Decimal

import pytest

from payments.services import payment_take, refund_approve, refund_request
from stock.choices import MovementKind
from stock.models import StockMovement
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle

from .conftest import on_hand, walk_out


@pytest.fixture
def paid_shop(sandbox):
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-stock-1", preauth_amount=Decimal("50"))
    entitle(mapping.store, ItemFactory(sku="WATER", name="Water"), price="2.00")
    entitle(mapping.store, ItemFactory(sku="CHIPS", name="Chips"), price="3.00")
    return mapping


def _paid(*items):
    order = walk_out(*items)
    payment_take(order_id=order.pk)
    order.refresh_from_db()
    assert order.captured_amount == order.total > 0
    return order


def test_refunded_lines_come_back_once(paid_shop):
    store = paid_shop.store
    order = _paid(("WATER", "3.0"), ("CHIPS", "1.0"))
    assert on_hand(store, "WATER") == Decimal("-3")
    water = order.lines.get(sku="WATER")
    refund = refund_request(
        order=order,
        amount=Decimal("4.00"),
        reason_code="DAMAGED_ITEM",
        lines=[{"line_no": water.line_no, "quantity": "2", "amount": "4.00"}],
    )
    done = refund_approve(refund=refund, actor=None)
    assert done.status == "REFUNDED"
    assert on_hand(store, "WATER") == Decimal("-1")
    assert on_hand(store, "CHIPS") == Decimal("-1")
    back = StockMovement.objects.get(kind=MovementKind.REFUND_RETURN)
    assert (back.quantity, back.order_id) == (Decimal("2"), order.pk)
    # Sending it again (a retry) changes nothing.
    from payments.services import refund_send

    refund_send(refund_id=refund.pk)
    assert on_hand(store, "WATER") == Decimal("-1")


def test_an_amount_only_refund_and_a_store_that_keeps_refunds_out(paid_shop):
    store = paid_shop.store
    order = _paid(("WATER", "2.0"))
    refund_approve(
        refund=refund_request(order=order, amount=Decimal("1.00"), reason_code="OTHER"), actor=None
    )
    assert on_hand(store, "WATER") == Decimal("-2")
    paid_shop.stock_return_refunds = False
    paid_shop.save()
    line = order.lines.get()
    refund_approve(
        refund=refund_request(
            order=order,
            amount=Decimal("2.00"),
            reason_code="OTHER",
            lines=[{"line_no": line.line_no, "quantity": "1", "amount": "2.00"}],
        ),
        actor=None,
    )
    assert on_hand(store, "WATER") == Decimal("-2")
    assert not StockMovement.objects.filter(kind=MovementKind.REFUND_RETURN).exists()


def test_two_refunds_never_return_more_than_the_trip_took(paid_shop):
    store = paid_shop.store
    order = _paid(("WATER", "3.0"))
    line = order.lines.get()
    for _ in range(2):
        refund_approve(
            refund=refund_request(
                order=order,
                amount=Decimal("2.00"),
                reason_code="OTHER",
                lines=[{"line_no": line.line_no, "quantity": "2", "amount": "2.00"}],
            ),
            actor=None,
        )
    assert on_hand(store, "WATER") == Decimal("0")  # 3 taken, 2 + 1 back
    backs = StockMovement.objects.filter(kind=MovementKind.REFUND_RETURN)
    assert sorted(backs.values_list("quantity", flat=True)) == [Decimal("1"), Decimal("2")]
