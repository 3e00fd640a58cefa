"""Shoppers, their Scan Key Codes, the ledger and the gate's decisions."""

import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from shoppers.choices import EntryMethod, GateReason, LedgerKind


class ShopperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shoppers.Shopper"

    email = factory.Sequence(lambda n: f"shopper{n}@shoppers.example")
    name = factory.Sequence(lambda n: f"Shopper {n}")


class AppScanKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shoppers.AppScanKey"

    shopper = factory.SubFactory(ShopperFactory)
    token = factory.LazyFunction(lambda: uuid.uuid4().hex)
    issued_at = factory.LazyFunction(timezone.now)


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    """A debt of a shopper by default; pass ``shopper=None, card_token=...`` for a card."""

    class Meta:
        model = "shoppers.LedgerEntry"

    shopper = factory.SubFactory(ShopperFactory)
    kind = LedgerKind.DEBT
    amount = Decimal("10.00")
    currency = "USD"
    trip_id = factory.Sequence(lambda n: f"test-ok-ledger{n:04d}")
    reference = factory.LazyAttribute(lambda o: f"{o.kind}:{o.trip_id}")


class GateDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shoppers.GateDecision"

    jwo_store_id = "jwo-store-1"
    auth_event_id = factory.Sequence(lambda n: f"auth-event-{n:06d}")
    entry = EntryMethod.APP
    admitted = True
    reason = GateReason.ADMITTED
    event_time = factory.LazyFunction(timezone.now)
