import pytest
from playwright.sync_api import Page, expect

from sandbox.models import SandboxCatalogItem, SandboxFault, SandboxStore, SandboxTrip
from tests.factories import PASSWORD, merchant_admin
from tests.sandbox import stub_connector

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STORE = "jwo-gate-store"


@pytest.fixture
def gate_store(live_server, settings):
    settings.ROOT_URLCONF = "tests.sandbox.stub_connector"  # the connector issue's endpoints
    settings.JWO_SANDBOX_CONNECTOR_URL = live_server.url
    stub_connector.received.clear()
    stub_connector.purchases.clear()
    SandboxStore.objects.create(store_id=STORE)
    for sku, name, price in [("SKU-COLA", "Cola 12oz", "1.99"), ("SKU-CHIPS", "Chips 2oz", "2.49")]:
        SandboxCatalogItem.objects.create(
            store_id=STORE,
            item_sku=sku,
            item_name=name,
            external_product_id="0",
            standard_price=price,
        )
    merchant_admin(username="tess")
    return live_server


def test_a_tester_walks_a_shopper_through_a_gate_and_sees_what_amazon_saw(
    page: Page, login, shot, gate_store
):
    login("tess", PASSWORD, f"/sandbox/gates/?store={STORE}")
    expect(page.get_by_role("heading", name="Sandbox: store gates")).to_be_visible()
    page.get_by_label("App (Scan Key Code)").check()
    page.get_by_label("Quantity of Cola 12oz").fill("2")
    page.get_by_label("Quantity of Chips 2oz").fill("1")
    page.get_by_label("Also take an item").fill("SKU-NOT-IN-CATALOG")
    page.get_by_role("button", name="Walk out").click()

    expect(page.locator("#trip-result")).to_contain_text(
        "the console answered 201 with purchase PO-000001"
    )
    steps = page.locator("#steps tbody tr")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("POST /v1/identity/identity-keys")
    expect(steps.nth(0)).to_contain_text("200")
    expect(steps.nth(1)).to_contain_text("POST /v1/order/purchases")
    expect(steps.nth(1)).to_contain_text("201")
    shot("sandbox-gate-walk-out")
    trip = SandboxTrip.objects.get()
    assert sorted((i["id"], i["quantity"]) for i in trip.cart) == [
        ("SKU-CHIPS", "1.0"),
        ("SKU-COLA", "2.0"),
        ("SKU-NOT-IN-CATALOG", "1.0"),
    ]

    page.get_by_role("link", name="What Amazon saw").first.click()
    trips = page.locator("#sandbox-trips")
    expect(trips).to_contain_text(STORE)
    expect(trips).to_contain_text("SKU-COLA \u00d72.0")  # the multiplication sign the page prints
    shot("sandbox-overview")


def test_a_gate_that_stays_closed_says_so(page: Page, login, gate_store):
    login("tess", PASSWORD, f"/sandbox/gates/?store={STORE}")
    page.get_by_label("App (Scan Key Code)").check()
    page.get_by_label("Shopper number").fill("2")  # the stub connector refuses shopper 2
    page.get_by_role("button", name="Walk out").click()
    expect(page.locator("#trip-result")).to_contain_text("the gate stayed closed")
    expect(page.locator("#steps tbody tr")).to_have_count(1)
    assert SandboxTrip.objects.get().cancelled is True


def test_a_negative_quantity_is_refused_beside_its_field(page: Page, login, gate_store):
    login("tess", PASSWORD, f"/sandbox/gates/?store={STORE}")
    page.get_by_label("Quantity of Cola 12oz").fill("-1")
    page.get_by_label("Shopper number").fill("0")
    page.get_by_role("button", name="Walk out").click()
    expect(page.locator("#shelf .has-error")).to_contain_text("greater than or equal to 0")
    expect(page.locator("#shopper_no-error")).to_contain_text("greater than or equal to 1")
    expect(page.get_by_label("Quantity of Cola 12oz")).to_have_value("-1")  # kept to correct
    expect(page.locator("#trip-result")).to_have_count(0)
    assert not SandboxTrip.objects.exists()


def test_faults_are_injected_and_removed_from_the_page(page: Page, login, shot, gate_store):
    login("tess", PASSWORD, "/sandbox/faults/")
    page.get_by_label("Service").select_option("payments")
    page.get_by_label("Operation").select_option("AdjustCharge")
    page.get_by_label("Kind").select_option(label="503 Service Unavailable")
    page.get_by_label("Count").fill("2")
    page.get_by_role("button", name="Inject").click()
    expect(page.locator("#faults")).to_contain_text(
        "503 Service Unavailable on payments/AdjustCharge (2 left)"
    )
    assert SandboxFault.objects.get().remaining == 2
    shot("sandbox-faults")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No faults: every call is answered normally.")).to_be_visible()
    assert not SandboxFault.objects.exists()
