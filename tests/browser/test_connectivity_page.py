"""A merchant presses Run test for a store and reads the results; a wrong invoke URL shows the
FAQ's diagnosis; staff read the results without the button — headless Chromium, against the
sandbox (the connector reached through the live server's URL)."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import (
    PASSWORD,
    JwoStoreMappingFactory,
    StoreFactory,
    merchant_admin,
    staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIST = "/settings/integrations/jwo/"


@pytest.fixture
def mapping(sandbox, settings):
    settings.JWO_CONNECTOR_PUBLIC_URL = sandbox.url
    merchant_admin(username="mia")
    staff_user(username="sam")
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Arena Market", time_zone="America/Chicago"),
        jwo_store_id="jwo-arena-1",
    )


def test_run_test_shows_each_check_and_a_wrong_url_is_diagnosed(
    page: Page, login, shot, mapping, settings, live_server
):
    login("mia", PASSWORD, LIST)
    page.get_by_role("link", name="Run test of Arena Market").click()
    expect(page.get_by_role("heading", name="Connectivity test · Arena Market")).to_be_visible()
    expect(page.locator(".empty")).to_contain_text("not been tested yet")

    page.get_by_role("button", name="Run test").click()
    expect(page.locator("#run-status")).to_have_text("Passed")
    rows = page.locator("#checks tbody tr")
    expect(rows.filter(has_text="Catalog API")).to_contain_text("signature is accepted")
    expect(rows.filter(has_text="CreatePurchases")).to_contain_text("accepts the shared secret")
    expect(page.locator("#checks [data-status='FAILED']")).to_have_count(0)
    expect(page.locator("#run")).to_contain_text("CST")  # the store's zone
    shot("connectivity-test")

    settings.JWO_PAYMENTS_URL = f"{live_server.url}/sandbox/prod/payments"
    page.get_by_role("button", name="Run test").click()
    expect(page.locator("#run-status")).to_have_text("Failed")
    failed = page.locator("#checks tr[data-status='FAILED']")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("invoke URL or its stage")
    expect(page.locator("#history")).to_contain_text("Passed")


def test_staff_read_the_results_without_the_button(page: Page, login, mapping):
    login("sam", PASSWORD, LIST)
    page.get_by_role("link", name="Test results of Arena Market").click()
    expect(page.locator(".readonly-note")).to_contain_text("Only a merchant admin")
    expect(page.get_by_role("button", name="Run test")).to_have_count(0)
