import pytest

from integrations.amazon import config
from integrations.amazon.catalog import CatalogClient
from integrations.amazon.checkout import CheckoutClient
from integrations.amazon.feedback import FeedbackClient
from integrations.amazon.payments import PaymentsClient
from integrations.amazon.transport import AmazonTransport


class Sleeps(list):
    """Records the waits the transport asked for instead of sleeping through them."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


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
def sleeps():
    return Sleeps()


@pytest.fixture
def clients(sandbox, sleeps):
    def transport(service: str) -> AmazonTransport:
        return AmazonTransport(service, sleep=sleeps)

    class Clients:
        payments = PaymentsClient(transport("payments"))
        checkout = CheckoutClient(transport("checkout"))
        feedback = FeedbackClient(transport("feedback"))
        catalog = CatalogClient(transport("catalog"))

        @staticmethod
        def raw(service: str) -> AmazonTransport:
            return transport(service)

    return Clients
