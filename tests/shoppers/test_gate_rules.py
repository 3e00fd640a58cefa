"""The gate's rules at the service level (shoppers/services.py): who may enter with the app's
Scan Key Code, who may enter by card under the store's F&A policy, and how an outstanding
balance counts. No connector, no HTTP: the services are called as the connector calls them."""

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from shoppers import scankeys
from shoppers.choices import EntryMethod, GateReason, LedgerKind
from shoppers.ledger import (
    card_outstanding_balance,
    ledger_book,
    shopper_outstanding_balance,
    trip_outstanding,
)
from shoppers.models import GateDecision
from shoppers.services import (
    gate_authorize_card,
    gate_authorized_amount,
    gate_verify_identity_key,
    scan_key_issue,
    shopper_for_key,
)
from stores.choices import FaRiskAction, FraudAbuseStrategy
from tests.factories import JwoStoreMappingFactory, ShopperFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def wire(code: str) -> str:
    """The identity key as the gate sends it: Base64 of the code the app showed."""
    return base64.b64encode(code.encode("ascii")).decode("ascii")


@pytest.fixture
def mapping(db):
    return JwoStoreMappingFactory(fa_strategy=FraudAbuseStrategy.RETAILER_MANAGED)


def verify(mapping, code, *, at=None, event="e1"):
    return gate_verify_identity_key(
        mapping=mapping, identity_key=wire(code), auth_event_id=event,
        event_time=at or timezone.now(),
    )  # fmt: skip


def owe(shopper=None, *, card="", amount="5.00", ref="debt-1", trip="test-ok-1"):
    ledger_book(
        reference=ref, kind=LedgerKind.DEBT, amount=Decimal(amount), currency="USD",
        shopper=shopper, card_token=card, trip_id=trip,
    )  # fmt: skip


# --- the app's Scan Key Code -------------------------------------------------------------------


def test_a_fresh_code_of_a_shopper_in_good_standing_is_admitted_and_recorded(mapping):
    shopper = ShopperFactory()
    issued = scan_key_issue(shopper=shopper)
    decision = verify(mapping, issued.code)
    assert (decision.admitted, decision.reason, decision.shopper) == (
        True, GateReason.ADMITTED, shopper,
    )  # fmt: skip
    assert (decision.entry, decision.jwo_store_id) == (EntryMethod.APP, mapping.jwo_store_id)
    assert issued.expires_at - issued.issued_at == timedelta(seconds=60)


def test_a_repeated_gate_event_inside_a_request_fails_it_keeping_the_first_decision(mapping):
    """One decision per gate event: inside the connector's transaction a repeat raises (the
    request fails, its retry finds the decision through the connector's dedupe)."""
    shopper = ShopperFactory()
    code = scan_key_issue(shopper=shopper).code
    first = verify(mapping, code, event="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        verify(mapping, code, event="same")
    assert list(GateDecision.objects.filter(auth_event_id="same")) == [first]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("not base64!", GateReason.MALFORMED_KEY),
        (base64.b64encode(b"JWO-1-2").decode(), GateReason.MALFORMED_KEY),
        (base64.b64encode(b"\xff\xfe").decode(), GateReason.MALFORMED_KEY),
        (base64.b64encode(b"XYZ1abcdefg0123456789abcdef0123456789ab").decode(),
         GateReason.WRONG_PREFIX),
    ],
)  # fmt: skip
def test_keys_that_are_not_our_codes_are_refused_with_why(mapping, key, reason):
    decision = gate_verify_identity_key(
        mapping=mapping, identity_key=key, auth_event_id="bad", event_time=timezone.now()
    )
    assert (decision.admitted, decision.reason, decision.shopper) == (False, reason, None)


def test_a_well_formed_code_never_issued_is_unknown(mapping):
    code = scankeys.encode(prefix="JWO", issued_at=timezone.now(), token=scankeys.new_token())
    decision = verify(mapping, code)
    assert (decision.admitted, decision.reason) == (False, GateReason.UNKNOWN_KEY)


def test_an_old_code_or_one_from_the_future_is_expired(mapping):
    shopper = ShopperFactory()
    issued = scan_key_issue(shopper=shopper)
    late = verify(mapping, issued.code, at=issued.issued_at + timedelta(seconds=61), event="a")
    assert (late.admitted, late.reason, late.shopper) == (False, GateReason.EXPIRED_KEY, shopper)
    assert "at most 60 s" in late.detail
    early = verify(mapping, issued.code, at=issued.issued_at - timedelta(seconds=6), event="b")
    assert early.reason == GateReason.EXPIRED_KEY
    edge = verify(mapping, issued.code, at=issued.issued_at + timedelta(seconds=60), event="c")
    assert edge.admitted


def test_a_flagged_shopper_is_refused_at_the_gate_and_gets_no_new_code(mapping):
    shopper = ShopperFactory()
    code = scan_key_issue(shopper=shopper).code
    shopper.is_flagged, shopper.flag_reason = True, "chargeback"
    shopper.save()
    decision = verify(mapping, code)
    assert (decision.admitted, decision.reason, decision.detail) == (
        False, GateReason.FLAGGED, "chargeback",
    )  # fmt: skip
    with pytest.raises(ApplicationError):
        scan_key_issue(shopper=shopper)


def test_an_outstanding_balance_refuses_entry_where_the_retailer_manages_fa(mapping):
    shopper = ShopperFactory()
    owe(shopper, amount="4.20")
    decision = verify(mapping, scan_key_issue(shopper=shopper).code)
    assert (decision.admitted, decision.reason, decision.detail) == (
        False, GateReason.OUTSTANDING_DEBT, "owes 4.20",
    )  # fmt: skip


def test_a_balance_paid_off_or_amazon_managed_fa_admits(mapping):
    shopper = ShopperFactory()
    owe(shopper, amount="4.20")
    ledger_book(
        reference="pay-1", kind=LedgerKind.PAYOFF, amount=Decimal("-4.20"), currency="USD",
        shopper=shopper,
    )  # fmt: skip
    assert shopper_outstanding_balance(shopper=shopper) == 0
    assert verify(mapping, scan_key_issue(shopper=shopper).code, event="paid").admitted

    other = ShopperFactory()
    owe(other, amount="9.00", ref="debt-2")
    amazon = JwoStoreMappingFactory(fa_strategy=FraudAbuseStrategy.AMAZON_MANAGED)
    assert verify(amazon, scan_key_issue(shopper=other).code, event="amazon").admitted


def test_store_credit_is_not_a_debt(mapping):
    shopper = ShopperFactory()
    ledger_book(
        reference="credit-1", kind=LedgerKind.CREDIT, amount=Decimal("-3.00"), currency="USD",
        shopper=shopper,
    )  # fmt: skip
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("-3.00")
    assert verify(mapping, scan_key_issue(shopper=shopper).code).admitted


def test_shopper_for_key_gives_the_shopper_or_the_reason(mapping):
    shopper = ShopperFactory()
    issued = scan_key_issue(shopper=shopper)
    assert shopper_for_key(identity_key=wire(issued.code), at=issued.issued_at) == (
        shopper, GateReason.ADMITTED,
    )  # fmt: skip
    later = issued.issued_at + timedelta(minutes=5)
    assert shopper_for_key(identity_key=wire(issued.code), at=later) == (
        None, GateReason.EXPIRED_KEY,
    )  # fmt: skip
    assert shopper_for_key(identity_key="%%%", at=later) == (None, GateReason.MALFORMED_KEY)


# --- the ledger -------------------------------------------------------------------------------


def test_booking_is_once_per_reference_and_needs_a_party():
    shopper = ShopperFactory()
    owe(shopper, amount="5.00", ref="once", trip="test-ok-trip")
    owe(shopper, amount="5.00", ref="once", trip="test-ok-trip")
    assert shopper_outstanding_balance(shopper=shopper) == Decimal("5.00")
    assert trip_outstanding(trip_id="test-ok-trip") == Decimal("5.00")
    with pytest.raises(ValueError, match="shopper or a card token"):
        owe(None, card="", ref="nobody")


# --- card entry under the store's F&A policy -------------------------------------------------


def authorize(mapping, *, card="card-1", event="c1", risks=(), requested=None):
    return gate_authorize_card(
        mapping=mapping, card_token=card, auth_event_id=event, event_time=timezone.now(),
        risks=list(risks), requested_amount=requested,
    )  # fmt: skip


def test_a_clean_card_is_admitted_with_the_stores_preauth(mapping):
    decision = authorize(mapping)
    assert (decision.admitted, decision.reason) == (True, GateReason.ADMITTED)
    assert decision.authorized_amount == mapping.preauth_amount
    assert decision.authorized_source == "fa_approve"
    assert gate_authorized_amount(auth_event_ids=["other", "c1"]) == decision
    assert gate_authorized_amount(auth_event_ids=[]) is None


def test_a_card_that_owes_is_refused(mapping):
    owe(card="card-owes", amount="2.50")
    assert card_outstanding_balance(card_token="card-owes") == Decimal("2.50")
    decision = authorize(mapping, card="card-owes")
    assert (decision.admitted, decision.reason, decision.authorized_amount) == (
        False, GateReason.OUTSTANDING_DEBT, None,
    )  # fmt: skip
    assert gate_authorized_amount(auth_event_ids=["c1"]) is None


def test_a_risk_the_store_denies_refuses_and_one_it_adjusts_lowers_the_preauth(mapping):
    mapping.fa_customer_fraud = FaRiskAction.DENY
    mapping.fa_expired_card = FaRiskAction.ADJUST
    mapping.fa_expired_card_preauth = Decimal("10.00")
    mapping.fa_bad_debt = FaRiskAction.ADJUST
    mapping.fa_bad_debt_preauth = Decimal("5.00")
    mapping.save()
    denied = authorize(mapping, event="d", risks=["ExpiredCard", "CustomerFraud"])
    assert (denied.admitted, denied.reason) == (False, GateReason.RISK_DENIED)
    assert "CustomerFraud" in denied.detail
    adjusted = authorize(mapping, event="a", risks=["ExpiredCard", "BadDebt"])
    assert (adjusted.admitted, adjusted.reason) == (True, GateReason.RISK_ADJUSTED)
    assert (adjusted.authorized_amount, adjusted.authorized_source) == (
        Decimal("5.00"), "fa_adjust",
    )  # fmt: skip
    # Never above what Amazon asked for.
    small = authorize(mapping, event="s", risks=["ExpiredCard"], requested=Decimal("3.00"))
    assert small.authorized_amount == Decimal("3.00")


def test_a_risk_the_policy_does_not_name_is_admitted_as_asked(mapping):
    decision = authorize(mapping, risks=["SomethingNew"], requested=Decimal("12.00"))
    assert (decision.admitted, decision.authorized_amount) == (True, Decimal("12.00"))
    assert "the store admits it" in decision.detail


def test_a_card_gate_event_is_decided_once(mapping):
    first = authorize(mapping, event="once")
    owe(card="card-1", amount="1.00", ref="later")
    assert authorize(mapping, event="once").pk == first.pk
