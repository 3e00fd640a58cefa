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
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


@pytest.fixture
def staff_client(client, staff):
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
