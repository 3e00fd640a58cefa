"""A realistic day in the console, made through the gate simulator against the live server.

Three mapped stores — the demo's Order-delegation store, the demo's Full-delegation store with
VenueNext loyalty and promotions, and a Checkout Service store — each with its catalog synced to
the sandbox (the demo's duplicate barcode is rejected by Amazon), then shoppers through the
gates: app and card entries, loyalty scans, declines, a PENDING answer, unknown SKUs, empty
carts and group trips; shoppers' refunds (one approved by the store's limit, one waiting), a
payoff on the processor's page and the retry schedule moved along with payments_time_travel.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from catalog import sync
from catalog.demo import seed_demo_catalog
from orders.models import Order
from portal import ratelimit
from sandbox.models import CardProfile, SandboxCatalogItem
from sandbox.simulator import GateSimulator, SimulationConfig, app_key_source
from stores.demo import DEMO_FULL_JWO_STORE_ID, DEMO_JWO_STORE_ID
from stores.models import JwoStoreMapping, Merchant
from tests.factories import JwoStoreMappingFactory

CHECKOUT_JWO_STORE_ID = "jwo-crawl-checkout"
DEMO_TOKENS = ["demo-app-token-1", "demo-app-token-2", "demo-app-token-3"]


@dataclass
class Day:
    shopper_emails: list[str] = field(default_factory=list)
    outcomes: dict[str, list] = field(default_factory=dict)
    payoff_tries: list[str] = field(default_factory=list)


def _signin(client: Client, email: str) -> Client:
    ratelimit.reset()  # one IP signs many shoppers in here
    client.post(reverse("portal:start"), {"email": email})
    for message in reversed(mail.outbox):
        if email.lower() in message.to and "sign-in" in message.subject.lower():
            path = (
                "/"
                + re.search(r"https?://\S+/portal/signin/\S+/", message.body)[0].split("/", 3)[3]
            )
            assert client.post(path).status_code == 302
            return client
    raise AssertionError(f"no sign-in link for {email}")


def _pay_off(email: str) -> str:
    """Sign ``email`` in, pay its balance on the sandbox processor's page and come back; the
    payoff's status, or where the flow stopped."""
    from payments.models import Payoff

    client = _signin(Client(), email)
    started = client.post(reverse("portal:pay"))
    location = started.get("Location", "")
    if started.status_code != 302 or "/sandbox/processor/pay/" not in location:
        notes = [str(m) for m in get_messages(started.wsgi_request)]
        return f"pay answered {started.status_code} to {location or '-'} {notes}"
    page = "/" + location.split("/", 3)[3]
    back = client.post(
        page, {"number": "4242 4242 4242 4242", "expiry": "12/29", "cvc": "123", "name": "A B"}
    )
    if back.status_code != 302:
        return f"the processor's page answered {back.status_code}"
    returned = back["Location"]
    client.get("/" + returned.split("/", 3)[3] if "://" in returned else returned)
    payoff = Payoff.objects.order_by("-pk").first()
    return payoff.status if payoff else "no payoff row"


def make_day(live_server_url: str, settings, *, shoppers: int = 8) -> Day:
    """``settings`` is pytest-django's fixture (restored after the test)."""
    settings.JWO_PAYMENT_ON_PRICED = True
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0
    # every e-mail of the day is kept for Sandbox → Outbox, and still reaches mail.outbox
    settings.EMAIL_BACKEND = "sandbox.mail.OutboxBackend"
    settings.SANDBOX_EMAIL_DELEGATE_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    merchant = Merchant.objects.get(code="demo-market")
    checkout = JwoStoreMappingFactory(
        store__merchant=merchant,
        store__name="Checkout Kiosk — Denver",
        store__time_zone="America/Denver",
        jwo_store_id=CHECKOUT_JWO_STORE_ID,
        payment_mode="CHECKOUT_SERVICE",
        delegation_mode="FULL",
    )
    seed_demo_catalog(merchant=merchant, stores=[checkout.store])
    JwoStoreMapping.objects.filter(jwo_store_id=DEMO_JWO_STORE_ID).update(
        refund_auto_approve_limit=Decimal("3.00"), fa_strategy="RETAILER_MANAGED"
    )
    for mapping in JwoStoreMapping.objects.select_related("store"):
        sync.catalog_sync_run_request(store=mapping.store)
    sync.catalog_uploads_poll(older_than_seconds=0)

    day = Day()
    simulators: dict[str, GateSimulator] = {}
    for n, (jwo_store_id, extra) in enumerate(
        [
            (DEMO_JWO_STORE_ID, {"retailer_fa": True, "decline_rate": 0.3}),
            (DEMO_FULL_JWO_STORE_ID, {"loyalty_rate": 0.6, "decline_rate": 0.2}),
            (CHECKOUT_JWO_STORE_ID, {}),
        ]
    ):
        config = SimulationConfig(
            connector_url=live_server_url,
            connector_secret=settings.JWO_CONNECTOR_SECRET,
            store_id=jwo_store_id,
            shoppers=shoppers,
            concurrency=2,
            app_share=0.4,
            empty_rate=0.1,
            unknown_sku_rate=0.15,
            group_rate=0.15,
            seed=100 + n,
            identity_key=app_key_source(live_server_url, DEMO_TOKENS),
            **extra,
        )
        simulator = simulators[jwo_store_id] = GateSimulator(config)
        outcomes = simulator.run().outcomes
        # one PENDING answer and one sure decline, beside the random ones
        outcomes.append(
            simulator.run_trip(90 + n, entry="CARD", card_profile=CardProfile.PENDING_ONCE)
        )
        outcomes.append(simulator.run_trip(95 + n, entry="CARD", card_profile=CardProfile.DECLINE))
        day.outcomes[jwo_store_id] = outcomes

    # the retry schedule, moved along: retry 1 (15 min) and the PENDING re-ask
    call_command("payments_time_travel", "0.5", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # shoppers' refunds: one within the store's automatic limit, one waiting for staff
    paid = list(
        Order.objects.filter(
            store__jwo_mapping__jwo_store_id=DEMO_JWO_STORE_ID,
            status="COMPLETED",
            captured_amount__gt=0,
            trip__entry_method="CARD",
        ).order_by("pk")[:2]
    )
    for order, scope in zip(paid, ["lines", "trip"], strict=False):
        email = f"{order.trip.amazon_shopper_id}@shoppers.example"
        client = _signin(Client(), email)
        first_line = order.lines.order_by("line_no").first()
        data = {"scope": scope, "reason_code": "DAMAGED_ITEM", "note": "crawl"}
        if scope == "lines":
            data["lines"] = [first_line.line_no]
        client.post(reverse("portal:refund", args=[order.purchase_id]), data)
        day.shopper_emails.append(email)

    # a payoff of a declined card shopper's balance on the processor's page. Which trips the
    # simulator declines depends on how its two threads interleave, so every declined card
    # shopper is tried, oldest first, until one payoff is PAID; what each try met is kept for
    # the assertion's message.
    owing = (
        Order.objects.filter(status="ERROR", trip__entry_method="CARD", error_stage="PAYMENT")
        .exclude(trip__amazon_shopper_id="")
        .order_by("pk")
    )
    for order in owing:
        email = f"{order.trip.amazon_shopper_id}@shoppers.example"
        outcome = _pay_off(email)
        day.payoff_tries.append(f"{order.purchase_id} ({email}): {outcome}")
        if outcome == "PAID":
            day.shopper_emails.append(email)
            break
    if not Order.objects.filter(status="ERROR", error_stage="PAYMENT").exists():
        # The payoff cleared the day's only decline (which random trips decline depends on the
        # threads' interleaving): one more card that declines, so the crawl meets one.
        item = SandboxCatalogItem.objects.filter(store_id=DEMO_JWO_STORE_ID).first()
        cart = [
            {
                "id": item.item_sku,
                "type": "SKU",
                "quantity": {"value": "1.0", "unit": "unit"},
                "externalIdentifiers": [{"id": item.external_product_id, "type": "UPC"}],
            }
        ]  # a known item: not an empty cart, not an unknown SKU
        outcome = simulators[DEMO_JWO_STORE_ID].run_trip(
            98, entry="CARD", card_profile=CardProfile.DECLINE, cart=cart
        )
        day.outcomes[DEMO_JWO_STORE_ID].append(outcome)
    day.shopper_emails.append("ana@example.com")  # an app shopper with an account
    return day
