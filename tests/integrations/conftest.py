import pytest

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
