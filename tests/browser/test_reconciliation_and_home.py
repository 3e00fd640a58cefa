"""Financial → Reconciliation and the home page in headless Chromium: a merchant admin
reconciles yesterday on demand, reads the mismatches, drills down to Amazon's file rows and to
the order, exports the CSV; the home page's tiles link to the grid behind each number."""

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from feeds.models import FeedEvent
from orders.models import Order
from reconciliation.services import store_today
from tests.factories import PASSWORD, JwoStoreMappingFactory, merchant_admin
from tests.feeds.helpers import load, our_order, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def books(live_server):
    store = JwoStoreMappingFactory(
        jwo_store_id="jwo-a", store__name="Midtown", store__time_zone="America/New_York"
    ).store
    merchant_admin(username="mia")
    day = store_today(store=store) - timedelta(days=1)
    noon = datetime.combine(day, time(12), tzinfo=store.zone)
    when = noon.isoformat()
    for n in range(6):
        our_order(store, f"trip-ok-{n}", ended_at=noon)
    our_order(store, "trip-short", ended_at=noon, total="12.00")
    our_order(store, "trip-not-at-amazon", ended_at=noon)
    declined = our_order(store, "trip-declined", ended_at=noon, status="ERROR", captured="0")
    Order.objects.filter(pk=declined.pk).update(
        created_at=noon - timedelta(hours=0), retries=0, error_message="Card declined"
    )
    rows = [row(f"trip-ok-{n}", when=when) for n in range(6)]
    rows += [row("trip-short", when=when, total="13.00", captured="12.00"),
             row("trip-declined", when=when, status="DECLINED", captured="0.00"),
             row("trip-only-amazon", when=when, sku="SKU-9")]  # fmt: skip
    load(rows, "intraday/jwo-a/file-1.csv")
    FeedEvent.objects.create(
        event_id="ev-short", raw="{}", status="PROCESSED", kind="PAYMENT",
        subtype="CaptureApproved", trip_id="trip-short", detail_type="JWO Payment Event",
    )  # fmt: skip
    return store, day


def test_reconcile_a_day_drill_down_export_and_the_home_page(page: Page, login, shot, books):
    store, day = books
    login("mia", PASSWORD, "/financial/reconciliation/")
    expect(page.get_by_role("heading", name="Reconciliation")).to_be_visible()
    row = page.locator(f'tr[data-store="{store.code}"][data-day="{day:%Y-%m-%d}"]')
    expect(row).to_contain_text("Not reconciled")
    row.get_by_role("button", name="Reconcile").click()
    expect(page.locator(".messages")).to_contain_text(f"Reconciliation of Midtown on {day}")
    row = page.locator(f'tr[data-store="{store.code}"][data-day="{day:%Y-%m-%d}"]')
    expect(row).to_contain_text("3 mismatches")
    shot("reconciliation-days")

    row.get_by_role("link", name="3 mismatches").click()
    mismatches = page.locator("#mismatches tbody tr")
    expect(mismatches).to_have_count(3)
    expect(page.locator("#mismatches")).to_contain_text("Missing at Amazon")
    expect(page.locator("#mismatches")).to_contain_text("Missing here")
    page.get_by_role("link", name="Total differs (1)").click()
    expect(mismatches).to_have_count(1)
    expect(mismatches.first).to_contain_text("12.00")
    expect(mismatches.first).to_contain_text("13.00")
    shot("reconciliation-run")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Total differs" in text and "trip-short" in text

    mismatches.first.get_by_role("link", name="Amazon's record").click()
    expect(page.locator("#file-rows")).to_contain_text("intraday/jwo-a/file-1.csv")
    expect(page.locator("#trip-events")).to_contain_text("CaptureApproved")
    page.get_by_role("link", name="intraday/jwo-a/file-1.csv").first.click()
    expect(page.get_by_role("heading", name="intraday/jwo-a/file-1.csv")).to_be_visible()

    page.goto(page.url.split("/feeds/")[0] + "/?period=7d")
    expect(page.get_by_role("heading", name="What needs you")).to_be_visible()
    expect(page.locator("#tile-reconciliation")).to_contain_text("3 mismatches")
    expect(page.locator("#tile-recovery svg a")).to_have_count(9)
    shot("home")
    page.locator("#tile-statuses").get_by_role("link", name="1 Error").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.locator("#orders tbody tr")).to_have_count(1)
    expect(page.locator("#orders")).to_contain_text("Card declined")
