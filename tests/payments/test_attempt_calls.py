"""The Calls column of an order's payment attempts, for orders the sandbox's gate simulator
made through the connector: every call the attempt sent is listed, answered or not."""

from decimal import Decimal

import pytest

from orders.models import Order
from payments.services import order_advance
from sandbox.models import SandboxCatalogItem, SandboxFault, SandboxStore, SandboxTrip
from sandbox.simulator import GateSimulator, SimulationConfig
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle


@pytest.fixture
def walk_out(sandbox, settings):
    """A card shopper walks out of a mapped store with one item: the order, priced."""
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-calls", preauth_amount=Decimal("25.00"))
    SandboxStore.objects.create(store_id="jwo-calls")
    item = ItemFactory()
    entitle(mapping.store, item, price="4.00")
    SandboxCatalogItem.objects.create(
        store_id="jwo-calls",
        item_sku=item.sku,
        item_name=item.name,
        external_product_id=item.barcode,
    )
    config = SimulationConfig(
        connector_url=sandbox.url,
        connector_secret="test-connector-secret",
        store_id="jwo-calls",
        shoppers=1,
        app_share=0,
        group_rate=0,
        seed=1,
    )
    simulator = GateSimulator(config)
    cart = [{"id": item.sku, "type": "SKU", "quantity": {"value": "1.0", "unit": "unit"}}]

    def one(*, before_payment=None) -> Order:
        settings.JWO_PAYMENT_ON_PRICED = False  # priced by the connector's task, paid below
        outcome = simulator.run_trip(1, entry="CARD", card_profile="OK", cart=cart)
        assert outcome.purchase_status == 201
        order = Order.objects.get(trip__trip_id=outcome.trip_id)
        assert order.status == "PRICED"
        if before_payment:
            before_payment(order)
        settings.JWO_PAYMENT_ON_PRICED = True
        order_advance(order_id=order.pk)
        order.refresh_from_db()
        return order

    return one


def _calls_cell(html: str) -> str:
    table = html[html.index('id="attempts"') :]
    return table[: table.index("</table>")]


def test_an_approved_capture_lists_adjust_and_capture(walk_out, merchant_client):
    order = walk_out()
    assert order.status == "COMPLETED" and order.captured_amount > 0
    attempt = order.payment_attempts.get()
    assert [c["operation"] for c in attempt.calls] == ["AdjustCharge", "CaptureCharge"]
    cell = _calls_cell(merchant_client.get(f"/financial/orders/{order.pk}/").content.decode())
    assert "<summary>AdjustCharge</summary>" in cell and "<summary>CaptureCharge</summary>" in cell


def test_an_adjust_amazon_refused_is_listed_with_its_error(walk_out, merchant_client):
    # Amazon released the trip's pre-auth: AdjustCharge is refused with a 400.
    order = walk_out(
        before_payment=lambda o: SandboxTrip.objects.filter(trip_id=o.trip.trip_id).update(
            cancelled=True
        )
    )
    assert order.status == "ERROR"
    attempt = order.payment_attempts.get()
    assert attempt.status == "REJECTED"
    assert [c["operation"] for c in attempt.calls] == ["AdjustCharge"]
    assert "already captured or cancelled" in attempt.calls[0]["response"]["error"]
    cell = _calls_cell(merchant_client.get(f"/financial/orders/{order.pk}/").content.decode())
    assert "<summary>AdjustCharge</summary>" in cell and ">none<" not in cell


def test_an_adjust_amazon_did_not_answer_is_listed_with_its_error(walk_out):
    order = walk_out(
        before_payment=lambda o: SandboxFault.objects.create(
            service="payments", operation="AdjustCharge", kind="503", trip_id=o.trip.trip_id
        )
    )
    attempt = order.payment_attempts.get()
    assert (attempt.status, order.next_action) == ("STARTED", "RESUME")
    assert attempt.calls and {c["operation"] for c in attempt.calls} == {"AdjustCharge"}
    assert "503" in attempt.calls[-1]["response"]["error"]
