"""A merchant counts an item on Catalog → Stock, sets its reorder point, shoppers walk out with
it (through the connector, as Amazon sends carts), and the page, the home tile and the Alerts
page show it running low — in headless Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, merchant_admin, staff_user
from tests.stock.conftest import make_shop, walk_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop_users(transactional_db):
    shop = make_shop()
    merchant_admin(username="mia")
    staff_user(username="sam")
    return shop


def test_count_sell_and_see_low_stock(page: Page, login, shot, shop_users, live_server):
    store = shop_users.store
    login("mia", PASSWORD, "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
    table = page.locator("#stock")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tr[data-sku=WATER]")).to_contain_text("never")

    table.locator("tr[data-sku=WATER]").get_by_role("link", name="Count / history").click()
    page.get_by_label("Action").select_option("count")
    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success")).to_contain_text("Counted: 5 on hand")
    page.get_by_label("Action").select_option("reorder")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success")).to_contain_text("Reorder point set to 3")
    page.get_by_label("Action").select_option("adjust")
    page.get_by_label("Quantity").fill("-1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("say why")

    walk_out(("WATER", "3.0"), ("CHIPS", "1.0"))  # a shopper leaves; the order is priced

    page.goto(f"{live_server.url}/catalog/stock/?store={store.pk}")
    page.get_by_label("Show").select_option("below")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#stock tbody tr")
    expect(rows).to_have_count(1)
    water = rows.first
    expect(water.locator(".on-hand")).to_contain_text("2")
    expect(water.locator(".on-hand")).to_contain_text("low")
    expect(water.locator("td").nth(4)).to_have_text("3")  # sold today
    shot("stock-below-reorder-point")

    page.get_by_label("Show").select_option("negative")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#stock tbody tr[data-sku=CHIPS]")).to_contain_text("negative")

    page.locator("#stock tbody tr[data-sku=CHIPS]").get_by_role("link").click()
    expect(page.locator("#movements")).to_contain_text("JWO sale")
    expect(page.locator("#movements")).to_contain_text("-1")

    page.goto(f"{live_server.url}/")
    expect(page.locator("#low-stock-tile")).to_contain_text("1 item below reorder point")
    expect(page.locator("#low-stock-tile")).to_contain_text(
        "1 negative"
    )  # flagged, no alert: no reorder point
    page.locator("#low-stock-tile").get_by_role("link", name="1 open low-stock alert").click()
    expect(page.locator("#alerts")).to_contain_text(
        "Spring Water 1L (WATER) is below its reorder point"
    )
    shot("stock-low-stock-alerts")


def test_import_counts_in_the_browser(page: Page, login, shop_users, live_server):
    store = shop_users.store
    login("mia", PASSWORD, f"/catalog/stock/?store={store.pk}")
    page.get_by_text("Import counts (CSV)").click()
    page.get_by_label(f"CSV file for {store.name}").set_input_files(
        {
            "name": "counts.csv",
            "mimeType": "text/csv",
            "buffer": b"sku,on_hand\nWATER,12\nCHIPS,x\nNOPE,1\n",
        }
    )
    page.get_by_role("button", name="Import counts").click()
    expect(page.locator("#import-summary")).to_contain_text(
        "1 item counted, 2 rows with problems, of 3 rows"
    )
    expect(page.locator("#import-errors")).to_contain_text("not sold in this store")


def test_staff_see_stock_read_only(page: Page, login, shop_users, live_server):
    login("sam", PASSWORD, f"/catalog/stock/?store={shop_users.store.pk}")
    expect(page.locator("#stock tbody tr")).to_have_count(3)
    expect(page.get_by_text("Import counts (CSV)")).to_have_count(0)
    page.locator("#stock tr[data-sku=WATER]").get_by_role("link", name="History").click()
    expect(page.locator("#stock-change")).to_have_count(0)
    expect(page.get_by_text("No movements yet")).to_be_visible()
