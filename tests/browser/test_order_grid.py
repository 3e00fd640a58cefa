"""Staff in the order grid (Financial → Orders), in headless Chromium against the sandbox:
filter to JWO errors, retry one that can be retried, and read why another cannot be yet."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Order
from payments.services import payment_take
from sandbox.models import SandboxTrip
from tests.factories import PASSWORD, JwoStoreMappingFactory, OrderFactory, staff_user
from tests.payments.conftest import trip_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def grid(sandbox):
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-grid-1")
    staff_user(username="sam")
    paid = OrderFactory(mapping=mapping, total="4.00")
    payment_take(order_id=paid.pk)
    fixed = OrderFactory(
        mapping=mapping, total="7.00", trip__trip_id=trip_id("decline"), age=timedelta(hours=1)
    )
    payment_take(order_id=fixed.pk)
    just_tried = OrderFactory(mapping=mapping, total="8.00", trip__trip_id=trip_id("decline"))
    payment_take(order_id=just_tried.pk)
    # The first declined card has funds again; its last attempt was 6 minutes ago.
    SandboxTrip.objects.filter(trip_id=fixed.trip.trip_id).update(card_profile="OK")
    Order.objects.filter(pk=fixed.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=6))
    return paid, fixed, just_tried


def test_filter_jwo_errors_retry_one_and_see_why_another_waits(page: Page, login, shot, grid):
    paid, fixed, just_tried = grid
    login("sam", PASSWORD, "/financial/orders/")
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    page.get_by_label("Order Source").select_option("JWO")
    page.get_by_label("Has an error").select_option("true")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-order="{paid.purchase_id}"]')).to_have_count(0)
    waiting = page.locator(f'tr[data-order="{just_tried.purchase_id}"]')
    expect(waiting.get_by_role("button", name="Retry")).to_be_disabled()
    expect(waiting.locator(".why")).to_contain_text(
        "The last attempt was less than 5 minutes ago — possible from"
    )
    expect(waiting).to_contain_text("Card declined")
    shot("order-grid-jwo-errors")

    page.locator(f'tr[data-order="{fixed.purchase_id}"]').get_by_role(
        "button", name=f"Retry {fixed.purchase_id}"
    ).click()
    expect(page.locator(".messages")).to_contain_text(
        f"{fixed.purchase_id}: paid — captured 7.00 USD"
    )
    expect(page.locator(f'tr[data-order="{fixed.purchase_id}"]')).to_have_count(0)
    shot("order-grid-after-retry")

    page.goto(page.url.split("?")[0])
    page.locator(f'tr[data-order="{fixed.purchase_id}"] a').click()
    expect(page.locator("#captured")).to_have_text("7.00")
    expect(page.locator("#attempts")).to_contain_text("Staff retry")
    expect(page.locator("#receipt")).to_be_visible()
    shot("order-detail")
