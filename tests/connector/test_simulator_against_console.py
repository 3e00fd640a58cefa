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
