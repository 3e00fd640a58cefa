import os

import pytest

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
