"""The console's main pages after a simulated day, in headless Chromium: each loads without a
console error or an uncaught exception, and the order grid fits a 1440-px screen. Writes the
README's screenshots of the pages this issue changed (docs/screenshots/)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order
from tests.crawl.day import make_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

MAIN_PAGES = [
    "/",
    "/catalog/",
    "/catalog/items/new/",
    "/catalog/sync/runs/",
    "/financial/orders/",
    "/financial/refunds/",
    "/pricing/promotions/",
    "/pricing/tax-rates/",
    "/shoppers/gate-activity/",
    "/settings/integrations/jwo/",
    "/sandbox/",
    "/sandbox/gates/",
    "/sandbox/outbox/",
]


def test_main_pages_load_without_console_errors(page: Page, login, sandbox, settings):
    make_day(sandbox.url, settings, shoppers=4)
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    login("merchant", "merchant-demo-pass", "/")
    expect(page.get_by_role("link", name="Orders", exact=True)).to_be_visible()
    failed = Order.objects.filter(status="ERROR").order_by("pk").first()
    paid = Order.objects.filter(status="COMPLETED").exclude(total=0).order_by("pk").first()
    pages = [*MAIN_PAGES, f"/financial/orders/{paid.pk}/", f"/financial/orders/{failed.pk}/"]
    for path in pages:
        response = page.goto(f"{sandbox.url}{path}")
        assert response is not None and response.status == 200, path
    assert errors == [], "\n".join(errors)

    # the grid fits 1440 px: nothing scrolls sideways and the Retry column's words show whole
    page.goto(f"{sandbox.url}/financial/orders/?has_error=true")
    width = page.evaluate(
        "() => { const s = document.querySelector('.table-scroll');"
        " return [s.scrollWidth, s.clientWidth, document.documentElement.scrollWidth]; }"
    )
    assert width[0] <= width[1] and width[2] <= 1440, width
    for why in page.locator("#orders .why").all()[:5]:
        box = why.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1440
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "orders-grid.png"), full_page=False)
    # bulk Retry: tick every order in error, confirm, one line per order
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#tick-all").check()
    page.get_by_role("button", name="Retry selected").click()
    expect(page.locator(".messages")).to_contain_text(" retried")
    assert errors == [], "\n".join(errors)

    page.goto(f"{sandbox.url}/financial/orders/{paid.pk}/")
    expect(page.locator("#timeline")).to_contain_text("cart_lines=")
    page.screenshot(path=str(DOCS / "order-page.png"), full_page=False)
    page.goto(f"{sandbox.url}/sandbox/outbox/")
    expect(page.locator("#outbox")).to_contain_text("sign-in", ignore_case=True)
    page.screenshot(path=str(DOCS / "outbox.png"), full_page=False)
