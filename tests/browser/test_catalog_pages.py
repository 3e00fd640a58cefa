"""A merchant imports a catalog CSV, presses Sync Items, watches the run, sees the item Amazon
refused and why, fixes it and re-syncs it — in headless Chromium, against the sandbox."""

import pytest
from playwright.sync_api import Page, expect

from catalog import sync
from catalog.models import StoreItem
from tests.factories import PASSWORD, JwoStoreMappingFactory, StoreFactory, merchant_admin, upc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = f"""sku,name,brand,category,barcode,barcode_type,store,price,active
WATER-1,Acme Sparkling Water 12oz,Acme,Drinks,{upc(11)},UPC,arena,1.99,yes
CHIPS-1,Crunchy Chips Salted 2oz,Crunch,Snacks,{upc(12)},UPC,arena,2.49,yes
WATER-2,Acme Sparkling Water Lime 12oz,Acme,Drinks,{upc(11)},UPC,arena,1.99,yes
BAD-1,Broken Price Item,Acme,Drinks,{upc(13)},UPC,arena,abc,yes
"""


@pytest.fixture
def store(sandbox, settings):
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0
    mapping = JwoStoreMappingFactory(
        store=StoreFactory(name="Arena Market", code="arena"), jwo_store_id="jwo-arena-1"
    )
    merchant_admin(username="mia")
    return mapping.store


def test_import_sync_see_rejection_fix_and_resync(page: Page, login, shot, store, live_server):
    login("mia", PASSWORD, "/catalog/import/")
    page.get_by_label("CSV file").set_input_files(
        {"name": "catalog.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-status")).to_contain_text(
        "4 rows read, 3 imported, 1 with problems"
    )
    expect(page.locator("#row-errors")).to_contain_text("price 'abc' is not a number")
    shot("catalog-import-report")

    page.goto(f"{live_server.url}/settings/integrations/jwo/")
    page.get_by_role("button", name="Sync Items of Arena Market").click()
    expect(page.get_by_role("heading", name="Sync #")).to_contain_text("Arena Market")
    expect(page.locator("#items_sent")).to_have_text("3")
    expect(page.locator("#run-status")).to_have_text("Waiting for Amazon's results")

    sync.catalog_uploads_poll(older_than_seconds=0)  # what beat does every 30 s
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=10_000)
    expect(page.locator("#items_accepted")).to_have_text("2")
    expect(page.locator("#items_rejected")).to_have_text("1")
    reason = page.locator("#rejected tr", has_text="WATER-2")
    expect(reason).to_contain_text(f"barcode {upc(11)} already belongs to SKU WATER-1")
    shot("catalog-sync-run-rejected")

    reason.get_by_role("link", name="Fix").click()
    page.get_by_label("Barcode", exact=True).fill(upc(14))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success")).to_contain_text("Saved WATER-2")

    page.goto(f"{live_server.url}/catalog/?sync=rejected")
    expect(page.locator("#items")).to_contain_text("WATER-2")
    page.goto(f"{live_server.url}/catalog/sync/runs/")
    page.get_by_role("link", name="#").first.click()
    page.get_by_role("button", name="Re-sync rejected items").click()
    expect(page.locator("#items_sent")).to_have_text("1")
    sync.catalog_uploads_poll(older_than_seconds=0)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=10_000)
    expect(page.locator("#items_accepted")).to_have_text("1")
    assert set(StoreItem.objects.values_list("sync_state", flat=True)) == {"ACCEPTED"}

    page.goto(f"{live_server.url}/catalog/?sync=in_sync")
    expect(page.locator("#items tbody tr")).to_have_count(3)
    shot("catalog-grid")
