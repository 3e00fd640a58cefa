import html
import re
import socket

import pytest
from django.core.management import call_command

from sandbox.models import SandboxCatalogItem, SandboxStore, SandboxTrip
from sandbox.simulator import GateSimulator, SimulationConfig
from tests.sandbox import stub_connector

pytestmark = pytest.mark.django_db(transaction=True)
STORE = "jwo-sim-store"


@pytest.fixture
def connector(live_server, settings):
    settings.ROOT_URLCONF = "tests.sandbox.stub_connector"
    stub_connector.received.clear()
    stub_connector.purchases.clear()
    stub_connector.failing_purchases[0] = 0
    SandboxStore.objects.create(store_id=STORE)
    SandboxCatalogItem.objects.bulk_create(
        SandboxCatalogItem(
            store_id=STORE, item_sku=f"SKU-{i}", item_name=f"Item {i}", external_product_id="0"
        )
        for i in range(8)
    )
    return live_server


def _config(live_server, **kw) -> SimulationConfig:
    fields = {
        "connector_url": live_server.url,
        "connector_secret": "test-connector-secret",
        "store_id": STORE,
        "seed": 7,
    }
    fields.update(kw)
    return SimulationConfig(**fields)


def test_app_shoppers_enter_take_items_and_walk_out(connector):
    sim = GateSimulator(
        _config(
            connector,
            shoppers=6,
            concurrency=3,
            app_share=1.0,
            empty_rate=0,
            unknown_sku_rate=0,
            group_rate=0,
        )
    )
    summary = sim.run()
    refused = [o for o in summary.outcomes if not o.admitted]
    assert [o.shopper_no for o in refused] == [2]  # the stub refuses shopper 2's key
    refused_trip = SandboxTrip.objects.get(trip_id=refused[0].trip_id)
    assert refused_trip.cancelled is True and refused_trip.gate_refused is True
    from datetime import timedelta

    from django.utils import timezone

    from sandbox.reporting import reported_trips

    reported = reported_trips(
        since=timezone.now() - timedelta(hours=1), until=timezone.now() + timedelta(seconds=1)
    )
    assert {t.trip_id for t in reported} == {o.trip_id for o in summary.outcomes if o.admitted}
    walked_out = [o for o in summary.outcomes if o.admitted]
    assert len(walked_out) == 5
    assert all(o.purchase_status == 201 and o.purchase_id for o in walked_out)
    for outcome in walked_out:
        trip = SandboxTrip.objects.get(trip_id=outcome.trip_id)
        assert trip.entry == "APP" and trip.preauth_amount > 0
        assert [i["id"] for i in trip.cart] == [i["id"] for i in outcome.cart]
        assert all(i["id"].startswith("SKU-") for i in outcome.cart)
    purchase = next(b for p, b in stub_connector.received if p == "/v1/order/purchases")
    event = purchase["shoppingTrip"]["authEvents"][0]
    assert event["payloadType"] == "SCAN_CODE" and event["scanResult"]["type"] == "SHOPPER"
    assert set(event) >= {"id", "timestamp", "location"}  # the reference spellings
    lines = summary.lines()
    assert lines[1] == "entry: APP 5/6 admitted"
    assert lines[2] == "purchases by HTTP status: 201: 5"
    assert any(line.startswith("/v1/identity/identity-keys: n=6 p50=") for line in lines)


def test_card_entry_with_retailer_fa_loyalty_groups_empty_and_unknown_carts(connector):
    sim = GateSimulator(
        _config(
            connector,
            shoppers=12,
            app_share=0.0,
            retailer_fa=True,
            loyalty_rate=1.0,
            group_rate=1.0,
            empty_rate=0.3,
            unknown_sku_rate=0.5,
        )
    )
    summary = sim.run()
    assert all(o.admitted and o.purchase_status == 201 for o in summary.outcomes)
    paths = [p for p, _ in stub_connector.received]
    assert paths.count("/v1/fraudandabuse/shopperauthorization") >= 24  # 2-3 members a trip
    assert paths.count("/v1/identity/scan") == 12
    purchases = [b for p, b in stub_connector.received if p == "/v1/order/purchases"]
    assert all(len(b["shoppingTrip"]["authEvents"]) >= 3 for b in purchases)  # group + loyalty
    assert any(b["cartItems"] == [] for b in purchases)
    assert any(any(i["id"].startswith("SKU-UNKNOWN") for i in b["cartItems"]) for b in purchases)
    loyalty = [
        e
        for b in purchases
        for e in b["shoppingTrip"]["authEvents"]
        if e.get("scanResult", {}).get("type") == "LOYALTY"
    ]
    assert len(loyalty) == 12 and loyalty[0]["scanResult"]["id"].startswith("loyal-")


def _purchase_bodies() -> list[dict]:
    return [b for p, b in stub_connector.received if p == "/v1/order/purchases"]


def test_a_cart_answered_5xx_is_sent_again_identically_as_amazon_does(connector):
    stub_connector.failing_purchases[0] = 2
    sim = GateSimulator(
        _config(connector, shoppers=1, app_share=0.0, purchase_resends=3, resend_wait=0.01)
    )
    outcome = sim.run().outcomes[0]
    assert outcome.purchase_status == 201 and outcome.purchase_id
    assert outcome.purchase_sends == 3
    assert [s.status for s in outcome.steps if s.endpoint == "/v1/order/purchases"] == [
        503,
        503,
        201,
    ]
    bodies = _purchase_bodies()
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]  # same requestId too
    stub_connector.received.clear()
    stub_connector.failing_purchases[0] = 5
    outcome = sim.run_trip(2, entry="CARD")
    assert outcome.purchase_status == 503 and outcome.purchase_sends == 4  # bounded
    assert outcome.cart_sent_at is not None


def test_without_resends_a_failed_cart_is_sent_once(connector):
    stub_connector.failing_purchases[0] = 1
    outcome = GateSimulator(_config(connector, shoppers=1, app_share=0.0)).run().outcomes[0]
    assert outcome.purchase_status == 503 and outcome.purchase_sends == 1


def test_a_trip_can_be_opened_with_a_funds_limit_and_its_own_preauth(connector):
    from decimal import Decimal

    outcome = GateSimulator(_config(connector, app_share=0.0)).run_trip(
        1, card_profile="NSF", nsf_limit=Decimal("5.00"), preauth=Decimal("40.00")
    )
    trip = SandboxTrip.objects.get(trip_id=outcome.trip_id)
    assert (trip.card_profile, trip.nsf_limit, trip.preauth_amount) == (
        "NSF",
        Decimal("5.00"),
        Decimal("40.00"),
    )


def test_wrong_secret_shows_as_refused_entries(connector):
    summary = GateSimulator(
        _config(connector, shoppers=2, app_share=1.0, connector_secret="wrong")
    ).run()
    assert [o.admitted for o in summary.outcomes] == [False, False]
    assert {s.status for o in summary.outcomes for s in o.steps} == {401}


def test_the_command_prints_a_summary(connector, capsys):
    call_command(
        "simulate_trips",
        "--store",
        STORE,
        "--shoppers",
        "4",
        "--connector-url",
        connector.url,
        "--secret",
        "test-connector-secret",
        "--seed",
        "1",
    )
    out = capsys.readouterr().out
    assert out.startswith("4 shoppers in ")
    assert "/v1/order/purchases: n=" in out


def test_the_command_says_when_no_connector_answers_and_fails(connector):
    """A console not running where the simulator looks (make run on another port): a clear
    error and a failing exit, not a summary of nothing."""
    from django.core.management.base import CommandError

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(CommandError, match=rf"could not reach the connector at .*:{port}"):
        call_command(
            "simulate_trips", "--store", STORE, "--shoppers", "3",
            "--connector-url", f"http://127.0.0.1:{port}", "--seed", "1",
        )  # fmt: skip


def test_the_banner_prints_the_simulator_with_the_port_make_run_serves():
    from jwo_console.management.commands.run_banner import banner_lines

    lines = "\n".join(banner_lines("http://127.0.0.1:8790"))
    assert "simulate_trips --store jwo-demo-store-2" in lines
    assert "--connector-url http://127.0.0.1:8790" in lines


@pytest.mark.parametrize("field", ["count", "latency_ms", "retry_after"])
def test_the_fault_form_refuses_numbers_the_database_cannot_hold(field):
    from sandbox.forms import FaultForm

    data = {"service": "payments", "operation": "*", "kind": "500", "latency_ms": "0"}
    data["retry_after"] = "1"
    data[field] = "99999999999999999999"
    form = FaultForm(data)
    assert not form.is_valid() and field in form.errors


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("qty-SKU-1", "-1", "Ensure this value is greater than or equal to 0."),
        ("qty-SKU-1", "1.5", "Enter a whole number of items (0 or more)."),
        ("qty-SKU-1", "lots", "Enter a whole number of items (0 or more)."),
        ("qty-SKU-1", "\u0662", "Enter a whole number of items (0 or more)."),
        ("qty-SKU-1", "1000", "Ensure this value is less than or equal to 999."),
        ("shopper_no", "0", "Ensure this value is greater than or equal to 1."),
        ("shopper_no", "abc", "Enter a whole number in the digits 0-9, e.g. 15."),
        ("shopper_no", "\u0663", "Enter a whole number in the digits 0-9, e.g. 15."),
        ("shopper_no", "", "This field is required."),
    ],
)
def test_the_gate_form_refuses_a_bad_quantity_or_shopper_with_a_field_error(
    client, field, value, error
):
    from tests.factories import merchant_admin

    SandboxStore.objects.create(store_id=STORE)
    SandboxCatalogItem.objects.create(
        store_id=STORE, item_sku="SKU-1", item_name="Cola", external_product_id="0"
    )
    client.force_login(merchant_admin(username="tess-gate"))
    data = {"store": STORE, "entry": "CARD", "card_profile": "OK", "shopper_no": "1"}
    data["qty-SKU-1"] = "2"
    data[field] = value
    response = client.post("/sandbox/gates/", data)
    assert response.status_code == 400
    shown = re.search(
        rf'name="{field}"[^>]*>\s*<div class="errorlist"[^>]*>([^<]*)</div>',
        response.content.decode(),
    )
    assert shown and html.unescape(shown.group(1)) == error  # beside the field it concerns
    assert not SandboxTrip.objects.exists()  # no trip walked out


@pytest.mark.parametrize(
    ("strategy", "shown", "asks_fa"),
    [
        ("RETAILER_MANAGED", "Retailer-managed", True),
        ("AMAZON_MANAGED", "Amazon-managed", False),
        (None, "Amazon-managed (no store in the console is mapped", False),
    ],
)
def test_the_gate_page_follows_the_stores_own_fa_strategy(
    connector, client, settings, strategy, shown, asks_fa
):
    from tests.factories import JwoStoreMappingFactory, merchant_admin

    settings.JWO_SANDBOX_CONNECTOR_URL = connector.url
    if strategy:
        JwoStoreMappingFactory(jwo_store_id=STORE, fa_strategy=strategy)
    client.force_login(merchant_admin(username="tess-fa"))
    page = client.get(f"/sandbox/gates/?store={STORE}").content.decode()
    assert 'name="retailer_fa"' not in page  # no box to contradict the store's setting
    figure = re.search(r'<div id="gate-fa">(.*?)</div>', page, re.S).group(1)
    assert shown in figure and "Change it on the store's mapping, not here." in figure
    data = {"store": STORE, "entry": "CARD", "card_profile": "OK", "shopper_no": "3"}
    response = client.post("/sandbox/gates/", data)
    assert response.status_code == 200
    paths = [p for p, _ in stub_connector.received]
    assert ("/v1/fraudandabuse/shopperauthorization" in paths) is asks_fa
    assert "/v1/order/purchases" in paths
