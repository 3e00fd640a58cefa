import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order, ShoppingTrip
from payments.services import payment_collect
from portal import ratelimit
from sandbox.models import CardProfile
from sandbox.trips import known_store, open_trip
from tests.factories import JwoStoreMappingFactory, OrderFactory, trip_id

PROFILES = {"ok": CardProfile.OK, "decline": CardProfile.DECLINE}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def mapping(sandbox):
    """A mapped store (retailer-managed F&A) whose Amazon is the sandbox over real HTTP."""
    return JwoStoreMappingFactory(jwo_store_id="jwo-portal-1", fa_strategy="RETAILER_MANAGED")


def shop(
    mapping,
    *,
    card: str = "amzn-card-7",
    total: str = "10.00",
    lines: int = 2,
    profile: str = "ok",
    shopper=None,
    age: timedelta = timedelta(0),
) -> Order:
    """A trip through the sandbox and the real payment service: the card (Amazon's shopper id,
    whose e-mail GetShopperIdentity gives as ``<card>@shoppers.example``) is charged, or
    declined with ``profile="decline"``."""
    tid = trip_id(profile)
    open_trip(
        store=known_store(mapping.jwo_store_id),
        trip_id=tid,
        profile=PROFILES[profile],
        shopper_id="" if shopper else card,
    )
    order = OrderFactory(
        mapping=mapping, total=total, trip__trip_id=tid, lines=lines, shopper=shopper, age=age
    )
    ShoppingTrip.objects.filter(pk=order.trip_id).update(amazon_shopper_id="" if shopper else card)
    payment_collect(order_id=order.pk, trigger="INITIAL")
    order.refresh_from_db()
    return order


def link_from_outbox(email: str) -> str:
    for message in reversed(mail.outbox):
        if email.lower() in message.to and "sign-in" in message.subject.lower():
            return re.search(r"https?://\S+/portal/signin/\S+/", message.body).group(0)
    raise AssertionError(f"no sign-in link was sent to {email}")


def sign_in(client, email: str):
    """The real flow: ask for a link, take it from the e-mail, press the button."""
    response = client.post(reverse("portal:start"), {"email": email})
    assert response.status_code == 302, response.content
    path = "/" + link_from_outbox(email).split("/", 3)[3]
    assert client.post(path).status_code == 302
    return client
