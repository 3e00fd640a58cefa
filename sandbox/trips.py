"""Trips and stores as Amazon keeps them, and how a tester steers a trip by its id.

Amazon's own test-case ids work as its test pages describe:
``valid-shopping-trip-uuid`` (approves), ``declined-payment-trip-uuid`` (declines),
``pending-processing-trip-uuid`` (pending once), ``invalid-shopping-trip-uuid`` (unknown).

Ids starting with ``test-`` create their trip on first sight, with ``-``-separated tokens:
``ok``, ``decline``, ``pending``, ``nsf<cents>`` (insufficient funds above that amount) and
``preauth<cents>`` (the gate's pre-auth). Example: ``test-nsf1500-preauth2000-7f3a``.
"""

import hashlib
from decimal import Decimal

from django.conf import settings

from .models import CardProfile, SandboxStore, SandboxTrip

AMAZON_TEST_TRIPS = {
    "valid-shopping-trip-uuid": CardProfile.OK,
    "declined-payment-trip-uuid": CardProfile.DECLINE,
    "pending-processing-trip-uuid": CardProfile.PENDING_ONCE,
}
BRANDS = ["VISA", "MASTERCARD", "AMEX", "DISCOVER"]


def known_store(store_id: str) -> SandboxStore | None:
    store = SandboxStore.objects.filter(store_id=store_id).first()
    if store is None and settings.SANDBOX_AUTO_REGISTER_STORES and store_id:
        store, _ = SandboxStore.objects.get_or_create(store_id=store_id)
    return store


def _card_for(trip_id: str) -> tuple[str, str]:
    digest = int(hashlib.sha256(trip_id.encode()).hexdigest(), 16)
    return BRANDS[digest % len(BRANDS)], f"{digest % 10000:04d}"


def open_trip(
    *,
    store: SandboxStore,
    trip_id: str,
    profile: str = CardProfile.OK,
    nsf_limit: Decimal | None = None,
    preauth: Decimal | None = None,
    entry: str = "CARD",
    shopper_id: str = "",
) -> SandboxTrip:
    """The gate's pre-auth: a trip Amazon now knows (idempotent by trip id)."""
    brand, tail = _card_for(shopper_id or trip_id)  # one card per shopper, as in life
    trip, _ = SandboxTrip.objects.get_or_create(
        trip_id=trip_id,
        defaults={
            "store_id": store.store_id,
            "card_profile": profile,
            "nsf_limit": nsf_limit,
            "preauth_amount": preauth if preauth is not None else store.preauth_amount,
            "currency": store.currency,
            "entry": entry,
            "shopper_id": shopper_id,
            "shopper_email": f"{shopper_id}@shoppers.example" if shopper_id else "",
            "card_brand": brand,
            "card_tail": tail,
        },
    )
    return trip


def steered_trip(store_id: str, trip_id: str) -> SandboxTrip | None:
    profile = AMAZON_TEST_TRIPS.get(trip_id)
    tokens: list[str] = []
    if profile is None and trip_id.startswith("test-"):
        tokens = trip_id.split("-")[1:]
        profile = CardProfile.OK
    if profile is None:
        return None
    store = known_store(store_id)
    if store is None:
        return None
    nsf_limit = preauth = None
    for token in tokens:
        if token == "decline":
            profile = CardProfile.DECLINE
        elif token == "pending":
            profile = CardProfile.PENDING_ONCE
        elif token.startswith("nsf") and token[3:].isdigit():
            profile, nsf_limit = CardProfile.NSF, Decimal(token[3:]) / 100
        elif token.startswith("preauth") and token[7:].isdigit():
            preauth = Decimal(token[7:]) / 100
    return open_trip(
        store=store, trip_id=trip_id, profile=profile, nsf_limit=nsf_limit, preauth=preauth
    )


def find_trip(store_id: str, trip_id: str, *, for_update: bool = False) -> SandboxTrip | None:
    """The trip if Amazon knows it *for that store*; steering ids create theirs."""
    qs = SandboxTrip.objects.select_for_update() if for_update else SandboxTrip.objects
    trip = qs.filter(trip_id=trip_id).first()
    if trip is None:
        steered_trip(store_id, trip_id)
        trip = qs.filter(trip_id=trip_id).first()
    if trip is None or trip.store_id != store_id:
        return None
    return trip
