"""The orders ``make run`` seeds (reconciliation/demo.py) are orders the connector made: the
sandbox knows each trip, every order is priced from its cart and charged by the payment engine,
and a staff Retry of a demo order in error is answered by the sandbox."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F

from alerts.models import Alert
from alerts.services import alert_notify
from catalog.models import StoreItem
from orders.models import Order
from payments.models import PaymentAttempt
from reconciliation.demo import DECLINED, RETRY_SUCCEEDS
from reconciliation.models import MismatchKind, ReconciliationRun
from sandbox.models import SandboxCall, SandboxTrip
from stock.choices import MovementKind
from stock.demo import LOW_SKU
from stock.models import StockLevel, StockMovement
from stock.selectors import stock_sales


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_reconciliation_demo", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    models = (Order, PaymentAttempt, SandboxTrip, SandboxCall, ReconciliationRun)
    return tuple(m.objects.count() for m in models)


def _section(html: str, title: str) -> str:
    start = html.index(f"<h2>{title}</h2>")
    return html[start : html.index("<h2>", start + 4)]


@pytest.fixture
def demo(transactional_db):
    _seed()
    return Order.objects.select_related("trip").order_by("pk")


def test_the_demo_days_reconcile_and_seeding_twice_does_nothing_twice(demo):
    before = _counts()
    out = _seed()
    assert _counts() == before
    assert "reconciled" not in out  # both days were there already
    runs = ReconciliationRun.objects.order_by("day")
    assert [(r.matched, r.mismatches) for r in runs] == [(24, 0), (22, 2)]
    assert {i.kind for i in runs[1].items.all()} == {
        MismatchKind.MISSING_AT_AMAZON,
        MismatchKind.TOTAL,
    }


def test_the_demo_stores_stock_is_counted_and_each_sale_falls_on_its_orders_day(demo):
    store = demo[0].store
    entitlements = list(StoreItem.objects.filter(store=store).values_list("pk", flat=True))
    levels = StockLevel.objects.filter(store=store)
    assert levels.filter(last_counted_at__isnull=False).count() == len(entitlements)
    assert not levels.filter(on_hand__lt=0).exists()
    low = levels.filter(on_hand__lt=F("reorder_point")).values_list(
        "store_item__item__sku", flat=True
    )
    assert LOW_SKU in set(low)
    sales = StockMovement.objects.filter(store=store, kind=MovementKind.JWO_SALE)
    assert sales.count() > 0
    for sale in sales.select_related("order"):
        assert sale.created_at == sale.order.priced_at
        assert sale.created_at > sale.store_item.stock.last_counted_at
    sold = stock_sales(store=store, store_item_ids=entitlements)
    assert sum(s.today for s in sold.values()) == 0  # the demo days are past
    assert sum(s.week for s in sold.values()) == -sum(m.quantity for m in sales)
    # The low item's alert names the store's manager, who is e-mailed (Sandbox → Outbox).
    assert store.jwo_mapping.alert_emails == "store-manager@demo.example"
    low_item = StoreItem.objects.get(store=store, item__sku=LOW_SKU).item_id
    alert = Alert.objects.get(kind="LOW_STOCK", key=f"store:{store.pk}:item:{low_item}")
    alert_notify(alert_id=alert.pk)
    assert alert.events.filter(action="EMAILED", detail="store-manager@demo.example").exists()


def test_every_demo_order_page_tells_one_story(demo, merchant_client):
    assert demo.count() == 48
    statuses = {o.status for o in demo}
    assert statuses == {"COMPLETED", "ERROR"}
    for order in demo:
        html = merchant_client.get(f"/financial/orders/{order.pk}/").content.decode()
        lines, attempts = _section(html, "Lines"), _section(html, "Payment attempts")
        assert "No payment attempt yet" not in attempts, order.purchase_id
        assert "<td>none</td>" not in attempts and ">none<" not in attempts, order.purchase_id
        assert sum(line.total for line in order.lines.all()) == order.total, order.purchase_id
        sandbox = SandboxTrip.objects.get(trip_id=order.trip.trip_id)
        assert len(sandbox.cart) == len(order.trip.cart_items) == order.lines.count()
        assert sandbox.captured_amount == order.captured_amount
        assert sandbox.preauth_amount > 0
        if order.captured_amount > 0:
            assert order.status == "COMPLETED"
            assert "An empty cart" not in lines, order.purchase_id
            assert 'id="lines"' in lines
            assert "<summary>AdjustCharge</summary>" in attempts
            assert "<summary>CaptureCharge</summary>" in attempts
            assert "Succeeded" in attempts
        elif order.status == "ERROR":
            assert 'id="lines"' in lines
            assert "Declined" in attempts and "<summary>AdjustCharge</summary>" in attempts
            assert "<summary>CaptureCharge</summary>" not in attempts
        else:  # the empty trip: its pre-auth released
            assert order.total == Decimal("0") and "An empty cart" in lines
            assert "<summary>CancelCharge</summary>" in attempts
            assert 'id="refund-form"' not in html


def _yesterday(demo, n: int) -> Order:
    """Yesterday's trip ``n`` (the later of the two demo days)."""
    return max(
        (o for o in demo if o.trip.trip_id.endswith(f"-{n:02d}")), key=lambda o: o.created_at
    )


def test_a_staff_retry_of_a_demo_order_in_error_is_answered_by_the_sandbox(
    demo, sandbox, staff_client
):
    cleared = _yesterday(demo, RETRY_SUCCEEDS)
    declined = _yesterday(demo, next(n for n in DECLINED if n != RETRY_SUCCEEDS))
    assert cleared.status == declined.status == "ERROR"
    adjusts = SandboxCall.objects.filter(operation="AdjustCharge").count()

    page = staff_client.post(f"/financial/orders/{cleared.pk}/retry/", follow=True).content.decode()
    cleared.refresh_from_db()
    assert cleared.status in ("PAID", "COMPLETED"), re.findall(r'class="msg[^"]*">([^<]+)', page)
    assert cleared.captured_amount == cleared.total > 0
    trip = SandboxTrip.objects.get(trip_id=cleared.trip.trip_id)
    assert trip.captured_amount == cleared.total
    retry = cleared.payment_attempts.order_by("-attempt_no").first()
    assert retry.trigger == "MANUAL" and retry.status == "SUCCEEDED"
    assert [c["operation"] for c in retry.calls] == ["AdjustCharge", "CaptureCharge"]

    staff_client.post(f"/financial/orders/{declined.pk}/retry/")
    declined.refresh_from_db()
    assert declined.status == "ERROR" and "declined" in declined.error_message.lower()
    retry = declined.payment_attempts.order_by("-attempt_no").first()
    assert retry.trigger == "MANUAL" and retry.status == "DECLINED"
    assert [c["operation"] for c in retry.calls] == ["AdjustCharge"]
    assert "UnknownShoppingTrip" not in str(retry.calls)
    assert SandboxCall.objects.filter(operation="AdjustCharge").count() == adjusts + 2
