import os

import pytest

from integrations.amazon import config
from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls our tests make
# from that thread are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def merchant(db):
    """A user in the Merchant admin group."""
    return factories.merchant_admin(username="merchant-admin")


@pytest.fixture
def staff(db):
    """A user in the Staff group."""
    return factories.staff_user(username="staff-member")


@pytest.fixture
def merchant_client(merchant):
    """A browser of its own signed in as the merchant (not pytest-django's ``client``: a test
    taking ``merchant_client`` and ``staff_client`` gets two sessions, not the last login)."""
    from django.test import Client

    client = Client()
    client.force_login(merchant)
    return client


@pytest.fixture
def staff_client(staff):
    from django.test import Client

    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def sandbox(live_server, settings, transactional_db):
    """The console's Amazon clients pointed at the sandbox on a live server (real HTTP)."""
    settings.JWO_SANDBOX = True
    settings.JWO_SANDBOX_URL = f"{live_server.url}/sandbox"
    for name in ("JWO_CATALOG_URL", "JWO_PAYMENTS_URL", "JWO_CHECKOUT_URL", "JWO_FEEDBACK_URL"):
        setattr(settings, name, "")
    settings.JWO_HTTP_MAX_ATTEMPTS = 4
    config.credentials.cache_clear()
    yield live_server
    config.credentials.cache_clear()


@pytest.fixture
def sqs_server(settings):
    """moto's SQS on a free port: the sandbox publishes there and the console consumes."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings.SANDBOX_SQS_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    settings.JWO_CATALOG_SQS_ENDPOINT_URL = settings.SANDBOX_SQS_ENDPOINT_URL
    settings.JWO_CATALOG_SQS_QUEUE_NAME = settings.SANDBOX_SQS_QUEUE_NAME
    yield settings.SANDBOX_SQS_ENDPOINT_URL
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_mapping_cache():
    """The connector caches store mappings for a few seconds; each test starts clean."""
    from stores.selectors import mapping_cache_clear

    mapping_cache_clear()
    yield
    mapping_cache_clear()


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``-n 2 --dist loadgroup``), the end-to-end tests share one worker:
    they run a real Celery worker on the one broker, which a second one would steal from."""
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("broker"))
    # pytest-xdist schedules by node id and keeps one item per id: two items with one id
    # would silently run once (schemathesis' parametrize did that to five endpoints).
    seen: set[str] = set()
    repeated = sorted(
        {item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)}
    )
    if repeated:
        raise pytest.UsageError(f"tests with the same node id (xdist runs one): {repeated}")
