import pytest
from playwright.sync_api import Page, expect

from stores.models import JwoStoreMapping, JwoStoreMappingChange
from tests.factories import (
    PASSWORD,
    JwoStoreMappingFactory,
    StoreFactory,
    WebRegisterFactory,
    merchant_admin,
    staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATH = "/settings/integrations/jwo/"


@pytest.fixture
def stores():
    mapped = JwoStoreMappingFactory(
        store=StoreFactory(name="Already Mapped Arena"), jwo_store_id="jwo-existing-1"
    )
    north = StoreFactory(name="North Kiosk", time_zone="America/Chicago")
    south = StoreFactory(name="South Market", time_zone="America/Los_Angeles")
    WebRegisterFactory(store=north, name="North Web 1")
    WebRegisterFactory(store=north, name="North Web 2")
    WebRegisterFactory(store=south, name="South Web 1")
    return {"mapped": mapped, "north": north, "south": south}


def _store_options(page: Page, row: int) -> list[str]:
    return page.locator(f"#id_new-{row}-store option").all_inner_texts()


def _enabled_register_options(page: Page, row: int) -> list[str]:
    return page.locator(f"#id_new-{row}-web_register option:enabled").all_inner_texts()


def test_merchant_admin_maps_edits_and_removes_stores(page: Page, login, shot, stores):
    merchant_admin(username="maria")
    login("maria", PASSWORD, PATH)
    expect(
        page.get_by_role("heading", name="Settings → Integrations → Just Walk Out")
    ).to_be_visible()
    expect(page.locator("#existing-rows")).to_contain_text("jwo-existing-1")

    # + adds a row; a mapped store is not offered; the register list follows the chosen store.
    page.get_by_role("button", name="Add mapping").click()
    options = _store_options(page, 0)
    assert "Already Mapped Arena" not in options
    assert {"North Kiosk", "South Market"} <= set(options)
    page.locator("#id_new-0-store").select_option(label="North Kiosk")
    assert _enabled_register_options(page, 0) == [
        "Choose a web register",
        "North Web 1",
        "North Web 2",
    ]

    # An incomplete row: Save shows the errors inline and saves nothing.
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-error")).to_contain_text("Nothing was saved")
    row = page.locator("tr.new-row").first
    expect(row.locator("#id_new-0-jwo_store_id-error")).to_have_text("This field is required.")
    expect(row.locator("#id_new-0-loyalty_provider-error")).to_have_text("This field is required.")
    shot("jwo-mapping-incomplete-row")
    assert JwoStoreMapping.objects.count() == 1

    # Complete it, add a second row, save both together.
    page.locator("#id_new-0-web_register").select_option(label="North Web 2")
    page.locator("#id_new-0-jwo_store_id").fill("jwo-north-01")
    page.locator("#id_new-0-loyalty_provider").select_option(label="YinzCam")
    page.get_by_role("button", name="Add mapping").click()
    assert "North Kiosk" in _store_options(page, 1)
    expect(page.locator("#id_new-1-store option", has_text="North Kiosk")).to_be_disabled()
    page.locator("#id_new-1-store").select_option(label="South Market")
    expect(page.locator("#id_new-1-web_register")).to_have_value(
        str(stores["south"].web_registers.get().pk)
    )  # the only register of the store is chosen for you
    page.locator("#id_new-1-jwo_store_id").fill("jwo-south-01")
    page.locator("#id_new-1-loyalty_provider").select_option(label="VenueNext")
    page.locator("#id_new-1-delegation_mode").select_option(label="Full")
    shot("jwo-mapping-two-new-rows")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".msg-success")).to_contain_text("Saved 2 mappings")
    table = page.locator("#existing-rows")
    expect(table).to_contain_text("jwo-north-01")
    expect(table).to_contain_text("jwo-south-01")
    expect(page.locator("#existing-rows tr", has_text="South Market")).to_contain_text("Full")
    assert set(JwoStoreMapping.objects.values_list("jwo_store_id", flat=True)) == {
        "jwo-existing-1",
        "jwo-north-01",
        "jwo-south-01",
    }
    # Every store is mapped now: no + and a plain explanation instead.
    expect(page.get_by_role("button", name="Add mapping")).to_have_count(0)
    expect(page.get_by_text("Every store is mapped.")).to_be_visible()
    shot("jwo-mapping-page")

    # Edit one.
    page.get_by_role("link", name="Edit North Kiosk").click()
    page.get_by_label("Delegation mode").select_option(label="Full")
    page.get_by_label("Payment mode").select_option(label="Checkout Service")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success")).to_contain_text("Saved the mapping of North Kiosk")
    north_row = page.locator("#existing-rows tr", has_text="North Kiosk")
    expect(north_row).to_contain_text("Full")
    expect(north_row).to_contain_text("Checkout Service")
    history = page.locator("table.changes tbody tr").first
    expect(history).to_contain_text("maria")
    expect(history).to_contain_text("Updated")
    expect(history).to_contain_text("Order")
    expect(history).to_contain_text("Full")
    expect(history).to_contain_text("CST")  # North Kiosk's zone, America/Chicago in November

    # Remove one, after confirming; its store is offered again.
    page.get_by_role("link", name="Remove South Market").click()
    expect(page.get_by_role("heading", name="Remove the Just Walk Out mapping?")).to_be_visible()
    shot("jwo-mapping-confirm-remove")
    page.get_by_role("button", name="Remove mapping").click()
    expect(page.locator(".msg-success")).to_contain_text("Removed the mapping of South Market")
    expect(page.locator("#existing-rows")).not_to_contain_text("South Market")
    page.get_by_role("button", name="Add mapping").click()
    assert "South Market" in _store_options(page, 0)
    assert list(JwoStoreMappingChange.objects.values_list("action", flat=True).order_by("pk")) == [
        "CREATED",
        "CREATED",
        "UPDATED",
        "DELETED",
    ]


def test_staff_sees_mappings_but_cannot_change_them(page: Page, login, shot, stores, live_server):
    staff_user(username="sam")
    login("sam", PASSWORD, PATH)
    expect(page.locator("#existing-rows")).to_contain_text("jwo-existing-1")
    expect(page.get_by_text("Only a merchant admin can change them.")).to_be_visible()
    expect(page.get_by_role("button", name="Add mapping")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit Already Mapped Arena")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    shot("jwo-mapping-staff-read-only")
    # Typing the edit address does not help either.
    response = page.goto(f"{live_server.url}{PATH}{stores['mapped'].pk}/edit/")
    assert response.status == 403


def test_anonymous_visitor_is_sent_to_login(page: Page, live_server):
    page.goto(f"{live_server.url}{PATH}")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next={PATH}")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
