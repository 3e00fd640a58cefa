"""The sandbox's gate simulator against the console's real identity endpoint."""

import pytest

from sandbox.models import SandboxStore
from sandbox.simulator import GateSimulator, SimulationConfig, app_key_source
from shoppers.models import GateDecision, Shopper
from shoppers.services import shopper_app_token_issue
from tests.factories import JwoStoreMappingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_app_shoppers_with_real_codes_are_admitted_and_flagged_ones_refused(live_server):
    JwoStoreMappingFactory(jwo_store_id="jwo-sim-gate")
    SandboxStore.objects.create(store_id="jwo-sim-gate")
    good = Shopper.objects.create(email="good@example.com")
    flagged = Shopper.objects.create(email="flagged@example.com")
    tokens = [shopper_app_token_issue(shopper=good), shopper_app_token_issue(shopper=flagged)]
    Shopper.objects.filter(pk=flagged.pk).update(is_flagged=True)
    config = SimulationConfig(
        connector_url=live_server.url,
        connector_secret="test-connector-secret",
        store_id="jwo-sim-gate",
        shoppers=4,
        concurrency=2,
        app_share=1.0,
        group_rate=0,
        seed=3,
        identity_key=app_key_source(live_server.url, tokens),
    )
    outcomes = {o.shopper_no: o for o in GateSimulator(config).run().outcomes}
    # shoppers 2 and 4 use the good token, 1 and 3 the flagged one (whose app gets no code)
    assert [n for n, o in sorted(outcomes.items()) if o.admitted] == [2, 4]
    assert GateDecision.objects.filter(admitted=True, shopper=good).count() == 2
    assert set(GateDecision.objects.filter(admitted=False).values_list("reason", flat=True)) == {
        "MALFORMED_KEY"
    }


def test_the_simulator_drives_a_store_end_to_end_into_priced_orders(live_server):
    from decimal import Decimal

    from catalog.models import StoreItem
    from orders.models import Order, TaxRate
    from sandbox.models import SandboxCatalogItem
    from tests.factories import ItemFactory, entitle

    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-e2e", fa_strategy="RETAILER_MANAGED")
    SandboxStore.objects.create(store_id="jwo-e2e")
    TaxRate.objects.create(store=mapping.store, tax_code="", rate=Decimal("0.07"))
    for _ in range(6):
        item = ItemFactory()
        entitle(mapping.store, item, price="2.00")
        # what Amazon learnt from a catalog sync: carts are built from it
        SandboxCatalogItem.objects.create(
            store_id="jwo-e2e",
            item_sku=item.sku,
            item_name=item.name,
            external_product_id=item.barcode,
        )
    shopper = Shopper.objects.create(email="e2e@example.com")
    token = shopper_app_token_issue(shopper=shopper)
    config = SimulationConfig(
        connector_url=live_server.url,
        connector_secret="test-connector-secret",
        store_id="jwo-e2e",
        shoppers=12,
        concurrency=3,
        app_share=0.5,
        retailer_fa=True,
        empty_rate=0.1,
        unknown_sku_rate=0.2,
        group_rate=0,
        seed=11,
        identity_key=app_key_source(live_server.url, [token]),
    )
    summary = GateSimulator(config).run()
    walked_out = [o for o in summary.outcomes if o.admitted]
    assert len(walked_out) == 12 and all(o.purchase_status == 201 for o in walked_out)
    orders = {o.trip.trip_id: o for o in Order.objects.select_related("trip")}
    assert set(orders) == {o.trip_id for o in walked_out}
    for outcome in walked_out:
        order = orders[outcome.trip_id]
        assert order.purchase_id == outcome.purchase_id
        unknown = [i["id"] for i in outcome.cart if i["id"].startswith("SKU-UNKNOWN")]
        if unknown:
            assert (order.status, order.error_message) == (
                "ERROR",
                f"item SKU {unknown[0]} not in catalog",
            )
        else:
            units = sum(Decimal(i["quantity"]["value"]) for i in outcome.cart)
            assert order.status == "PRICED"
            assert order.total == (units * Decimal("2.00") * Decimal("1.07")).quantize(
                Decimal("0.01")
            )
    entries = {d.entry for d in GateDecision.objects.all()}
    assert entries == {"APP", "CARD"}  # app scans and card F&A calls, each decided and logged
    assert StoreItem.objects.count() == 6


def test_the_stores_fa_policy_through_the_simulator_reaches_the_trips(live_server):
    """Amazon reports an expired card at some card entries; the store admits those with a
    reduced pre-auth, Amazon pre-authorizes that, and each trip records what was answered."""
    from decimal import Decimal

    from orders.models import ShoppingTrip
    from sandbox.models import SandboxTrip

    mapping = JwoStoreMappingFactory(
        jwo_store_id="jwo-sim-fa",
        fa_strategy="RETAILER_MANAGED",
        fa_expired_card="ADJUST",
        fa_expired_card_preauth=Decimal("10.00"),
    )
    SandboxStore.objects.create(store_id="jwo-sim-fa", preauth_amount=mapping.preauth_amount)
    config = SimulationConfig(
        connector_url=live_server.url,
        connector_secret="test-connector-secret",
        store_id="jwo-sim-fa",
        shoppers=8,
        concurrency=2,
        app_share=0.0,
        retailer_fa=True,
        risks=("ExpiredCard",),
        risk_rate=0.5,
        group_rate=0,
        unknown_sku_rate=0,
        seed=5,
    )
    summary = GateSimulator(config).run()
    assert all(o.admitted and o.purchase_status == 201 for o in summary.outcomes)
    adjusted = set(
        GateDecision.objects.filter(reason="RISK_ADJUSTED").values_list("auth_event_id", flat=True)
    )
    assert 0 < len(adjusted) < 8  # some entries reported the risk, some did not
    trips = {t.trip_id: t for t in ShoppingTrip.objects.all()}
    for outcome in summary.outcomes:
        trip = trips[outcome.trip_id]
        event = trip.auth_events[0]["id"]
        expected = ("10.00", "fa_adjust") if event in adjusted else ("25.00", "fa_approve")
        assert (str(trip.authorized_amount), trip.authorized_amount_source) == expected
        sandbox_trip = SandboxTrip.objects.get(trip_id=outcome.trip_id)
        assert str(sandbox_trip.preauth_amount) == expected[0]  # what Amazon pre-authorized


def test_the_gate_page_lets_an_app_shopper_in_with_their_token(live_server, client, settings):
    """Sandbox → Store gates, App entry: the shopper's app token fetches a real Scan Key Code
    from the console, so the gate opens; a token the console does not know keeps it closed.
    The picker names the console's store beside its JWO id."""
    from tests.factories import merchant_admin

    settings.JWO_SANDBOX_CONNECTOR_URL = live_server.url
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-sim-page")
    SandboxStore.objects.create(store_id="jwo-sim-page")
    token = shopper_app_token_issue(shopper=Shopper.objects.create(email="app@example.com"))
    client.force_login(merchant_admin(username="tess-app"))
    page = client.get("/sandbox/gates/?store=jwo-sim-page").content.decode()
    assert f"{mapping.store.name} (jwo-sim-page)</option>" in page
    data = {"store": "jwo-sim-page", "entry": "APP", "card_profile": "OK", "shopper_no": "1"}
    admitted = client.post("/sandbox/gates/", {**data, "app_token": token}).context["outcome"]
    assert admitted.admitted and admitted.purchase_status == 201
    refused = client.post("/sandbox/gates/", {**data, "app_token": "nobody"}).context["outcome"]
    assert not refused.admitted
    assert GateDecision.objects.filter(admitted=True).count() == 1
