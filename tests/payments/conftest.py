from decimal import Decimal

import pytest

from orders.models import Order
from sandbox.models import SandboxTrip
from tests.factories import JwoStoreMappingFactory, trip_id  # noqa: F401  (tests import it here)


@pytest.fixture
def mapping(sandbox):
    """A mapped store whose Amazon is the sandbox on the live server (real HTTP, signed)."""
    return JwoStoreMappingFactory(jwo_store_id="jwo-pay-1", preauth_amount=Decimal("25.00"))


def sandbox_trip(order: Order) -> SandboxTrip:
    return SandboxTrip.objects.get(trip_id=order.trip.trip_id)
