import socket

import pytest

from tests.factories import JwoStoreMappingFactory, StoreFactory


@pytest.fixture
def wired(sandbox, settings):
    """The sandbox plays Amazon and the connector is reached through the live server's URL."""
    settings.JWO_CONNECTOR_PUBLIC_URL = sandbox.url
    settings.JWO_HTTP_CONNECT_TIMEOUT = 1.0
    settings.JWO_HTTP_READ_TIMEOUT = 5.0
    return sandbox


@pytest.fixture
def payment_store():
    """Payment Service, Amazon-managed F&A (so the Feedback API too), app and card entry."""
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Arena Market", time_zone="America/Chicago"),
        jwo_store_id="jwo-conn-1",
        payment_mode="PAYMENT_SERVICE",
        fa_strategy="AMAZON_MANAGED",
    )


@pytest.fixture
def checkout_store():
    """Checkout Service, retailer-managed F&A with card entry (so the F&A endpoint too)."""
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Stadium Express"),
        jwo_store_id="jwo-conn-2",
        payment_mode="CHECKOUT_SERVICE",
        fa_strategy="RETAILER_MANAGED",
        entry_app=False,
        entry_card=True,
    )


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
