"""End to end through the gate simulator, for both F&A strategies: a declined trip keeps the
card shopper out, a payoff in the portal lets them back in."""

import pytest
from django.urls import reverse

from sandbox.models import CardProfile, SandboxCatalogItem, SandboxStore
from sandbox.simulator import GateSimulator, SimulationConfig
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle
from tests.portal.conftest import sign_in
from tests.portal.test_payoff import _path, pay_on_processor_page, start_payoff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def simulated_store(sandbox, settings, request):
    settings.JWO_PAYMENT_ON_PRICED = True
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-gate-payoff", fa_strategy=request.param)
    SandboxStore.objects.get_or_create(store_id="jwo-gate-payoff")
    item = ItemFactory()
    entitle(mapping.store, item, price="3.25")
    SandboxCatalogItem.objects.create(
        store_id="jwo-gate-payoff",
        item_sku=item.sku,
        item_name=item.name,
        external_product_id=item.barcode,
    )
    simulator = GateSimulator(
        SimulationConfig(
            connector_url=sandbox.url,
            connector_secret="test-connector-secret",
            store_id="jwo-gate-payoff",
            retailer_fa=request.param == "RETAILER_MANAGED",
            group_rate=0,
            loyalty_rate=0,
        )
    )
    cart = [{"id": item.sku, "type": "SKU", "quantity": {"value": "2.0", "unit": "unit"}}]
    return simulator, cart


@pytest.mark.parametrize("simulated_store", ["RETAILER_MANAGED", "AMAZON_MANAGED"], indirect=True)
def test_a_declined_shopper_is_kept_out_until_the_balance_is_paid(client, simulated_store):
    simulator, cart = simulated_store
    declined = simulator.run_trip(4, entry="CARD", card_profile=CardProfile.DECLINE, cart=cart)
    assert declined.admitted and declined.purchase_status == 201
    refused = simulator.run_trip(4, entry="CARD", cart=cart)
    assert not refused.admitted
    assert simulator.run_trip(5, entry="CARD", cart=cart).admitted  # another card walks in

    sign_in(client, "amzn-card-4@shoppers.example")
    balance = client.get(reverse("portal:balance")).content.decode()
    assert "6.50 USD" in balance and "Card declined" in balance
    back = pay_on_processor_page(client, start_payoff(client))
    paid = client.get(_path(back["Location"]), follow=True).content.decode()
    assert "store access is restored" in paid

    again = simulator.run_trip(4, entry="CARD", cart=cart)
    assert again.admitted and again.purchase_status == 201
