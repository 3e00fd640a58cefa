"""The shopper portal on a phone, in headless Chromium, against the console and the sandbox
over real HTTP: a card shopper from the gate simulator signs in by the e-mailed link, finds every
trip, downloads a PDF receipt, asks for and receives a refund, pays off a declined trip on the
processor's hosted page, and is let in at the gate again. Screenshots go to artifacts/."""

from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from orders.models import Order, TaxRate
from payments.models import Refund
from portal import ratelimit
from sandbox.models import CardProfile, SandboxCatalogItem, SandboxStore
from sandbox.simulator import GateSimulator, SimulationConfig
from shoppers.services import card_outstanding_balance
from tests.browser.conftest import ARTIFACTS
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle
from tests.portal.conftest import link_from_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
EMAIL = "amzn-card-1@shoppers.example"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def snap(phone):
    """A full-page screenshot of the phone's page under artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _snap(name: str) -> None:
        phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return _snap


@pytest.fixture
def store(sandbox, settings):
    """A retailer-managed store with a small catalog Amazon knows, payments taken at once."""
    settings.JWO_PAYMENT_ON_PRICED = True
    ratelimit.reset()
    mapping = JwoStoreMappingFactory(
        jwo_store_id="jwo-portal-shop",
        fa_strategy="RETAILER_MANAGED",
        refund_auto_approve_limit=Decimal("20.00"),
    )
    SandboxStore.objects.get_or_create(store_id="jwo-portal-shop")
    TaxRate.objects.create(store=mapping.store, tax_code="", rate=Decimal("0.07"))
    items = []
    for price in ("2.50", "4.00"):
        item = ItemFactory()
        entitle(mapping.store, item, price=price)
        SandboxCatalogItem.objects.create(
            store_id="jwo-portal-shop",
            item_sku=item.sku,
            item_name=item.name,
            external_product_id=item.barcode,
        )
        items.append(item)
    return mapping, items


def _cart(items, quantities):
    return [
        {
            "id": item.sku,
            "type": "SKU",
            "quantity": {"value": f"{qty}.0", "unit": "unit"},
            "externalIdentifiers": [{"id": item.barcode, "type": "UPC"}],
            "lineItemId": f"L{n}",
        }
        for n, (item, qty) in enumerate(zip(items, quantities, strict=True), start=1)
        if qty
    ]


def _simulator(live_server) -> GateSimulator:
    return GateSimulator(
        SimulationConfig(
            connector_url=live_server.url,
            connector_secret="test-connector-secret",
            store_id="jwo-portal-shop",
            retailer_fa=True,
            group_rate=0,
            loyalty_rate=0,
        )
    )


def _labelled(page: Page) -> list[str]:
    """Visible form controls without a label (accessibility): none expected."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => el.offsetParent !== null)
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
              .map(el => el.name)"""
    )


def test_a_gate_shopper_finds_receipts_gets_a_refund_pays_off_and_walks_back_in(
    phone: Page, snap, store, live_server, tmp_path
):
    _, items = store
    sim = _simulator(live_server)
    first = sim.run_trip(1, entry="CARD", card_profile=CardProfile.OK, cart=_cart(items, [2, 1]))
    second = sim.run_trip(1, entry="CARD", card_profile=CardProfile.OK, cart=_cart(items, [1, 0]))
    declined = sim.run_trip(
        1, entry="CARD", card_profile=CardProfile.DECLINE, cart=_cart(items, [0, 2])
    )
    assert all(o.admitted and o.purchase_status == 201 for o in (first, second, declined))
    orders = {o.trip.trip_id: o for o in Order.objects.select_related("trip")}
    assert [orders[o.trip_id].status for o in (first, second, declined)] == [
        "COMPLETED",
        "COMPLETED",
        "ERROR",
    ]
    assert not sim.run_trip(1, entry="CARD", cart=_cart(items, [1, 0])).admitted  # owes 8.56

    # 1. sign in by the e-mailed link, on a phone
    phone.goto(f"{live_server.url}/portal/")
    assert _labelled(phone) == []
    phone.get_by_label("Your e-mail address").fill(EMAIL)
    phone.get_by_label("Your e-mail address").press("Enter")  # the keyboard submits
    expect(phone.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    snap("portal-01-link-sent")
    phone.goto(link_from_outbox(EMAIL).replace("http://127.0.0.1:8000", live_server.url))
    phone.get_by_role("button", name="Continue to my receipts").click()

    # 2. every trip is there, and the balance is flagged
    expect(phone.get_by_role("heading", name="Your trips")).to_be_visible()
    trips = phone.get_by_role("list", name="Trips").get_by_role("listitem")
    expect(trips).to_have_count(3)
    expect(phone.get_by_role("alert")).to_contain_text("You owe 8.56 USD")
    snap("portal-02-trips")

    # 3. a receipt, and its PDF
    paid = orders[first.trip_id]
    phone.locator(f'a[href$="/receipts/{paid.purchase_id}/"]').click()
    expect(phone.get_by_role("heading", name="Receipt")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(f"{paid.total} USD")
    expect(phone.locator("main")).to_contain_text(paid.receipt.card_statement_transaction_id)
    snap("portal-03-receipt")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "receipt.pdf"
    download.value.save_as(pdf)
    text = PdfReader(pdf).pages[0].extract_text()
    assert paid.purchase_id in text and f"{paid.total} USD" in text and items[0].name in text

    # 4. a refund for one item: under the store's limit, it is refunded at once
    phone.get_by_role("link", name="Ask for a refund").click()
    assert _labelled(phone) == []
    phone.get_by_label("Only the items I choose").check()
    line = paid.lines.get(sku=items[1].sku)
    phone.get_by_label(f"{line.name} — {line.total} USD").check()
    phone.get_by_label("Reason").select_option("DAMAGED_ITEM")
    snap("portal-04-refund-form")
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_role("status")).to_contain_text(f"Refunded {line.total} USD")
    expect(phone.get_by_role("list", name="Refunds")).to_contain_text("Refunded")
    snap("portal-05-refunded")
    assert Refund.objects.get().status == "REFUNDED"
    assert any(m.subject.startswith("Your refund of") for m in mail.outbox)

    # 5. pay off the declined trip on the processor's page
    phone.get_by_role("link", name="Balance").click()
    expect(phone.get_by_test_id("balance-total")).to_have_text("8.56 USD")
    expect(phone.get_by_role("list", name="Unpaid trips")).to_contain_text("Card declined")
    snap("portal-06-balance")
    phone.get_by_role("button", name="Pay 8.56 USD now").click()
    expect(phone.get_by_test_id("processor-amount")).to_have_text("8.56 USD")
    phone.get_by_label("Card number").fill("4242 4242 4242 4242")
    phone.get_by_label("Expiry (MM/YY)").fill("12/29")
    phone.get_by_label("Security code").fill("123")
    phone.get_by_label("Name on card").fill("Ana Card")
    snap("portal-07-processor")
    phone.get_by_role("button", name="Pay 8.56 USD").click()
    expect(phone.get_by_role("heading", name="Thank you, your balance is paid")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Your store access is restored")
    snap("portal-08-paid")
    assert card_outstanding_balance(card_token="amzn-card-1") == 0

    # 6. and the gate lets the shopper in again
    back = sim.run_trip(1, entry="CARD", cart=_cart(items, [1, 0]))
    assert back.admitted and back.purchase_status == 201


def test_a_card_shopper_without_an_account_finds_one_trip_by_card(
    phone: Page, snap, store, live_server
):
    _, items = store
    outcome = _simulator(live_server).run_trip(
        7, entry="CARD", card_profile=CardProfile.OK, cart=_cart(items, [1, 1])
    )
    order = Order.objects.get(trip__trip_id=outcome.trip_id)
    day = order.trip.ended_at.astimezone(order.store.zone).date().isoformat()
    phone.goto(f"{live_server.url}/portal/")
    phone.get_by_role("link", name="Find a trip by card").click()
    assert _labelled(phone) == []
    phone.get_by_label("Last 4 digits of the card").fill(order.receipt.tail)
    phone.get_by_label("Day of the visit").fill(day)
    phone.get_by_label("Amount charged").fill("9.99")
    phone.get_by_role("button", name="Find my trip").click()
    expect(phone.get_by_role("alert")).to_contain_text("We could not find one trip")
    phone.get_by_label("Amount charged").fill(str(order.total))
    phone.get_by_role("button", name="Find my trip").click()
    expect(phone.get_by_role("heading", name="Receipt")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(order.purchase_id)
    snap("portal-09-found-by-card")
