"""The gate's decisions (docs/ARCHITECTURE.md "The money path", step 1); the balances they read
are in shoppers/ledger.py, below payments."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jwo_console.compiledsql import Compiled
from jwo_console.heldwrites import insert_or_hold
from jwo_console.money import quantize
from stores.choices import FaRiskAction, FraudAbuseStrategy
from stores.models import JwoStoreMapping

from . import scankeys
from .choices import EntryMethod, GateReason
from .ledger import card_outstanding_balance, shopper_outstanding_balance
from .models import AppScanKey, GateDecision, Shopper

logger = logging.getLogger(__name__)
FUTURE_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class GateOutcome:
    admitted: bool
    reason: str
    shopper: Shopper | None
    detail: str = ""


def _fa_outcome(
    *,
    mapping: JwoStoreMapping,
    owed: Decimal,
    risks: list[str],
    requested: Decimal | None,
) -> tuple[GateOutcome, Decimal | None, str]:
    """(outcome, authorized amount, its source) by the store's F&A policy: a card that owes
    money is denied; any risk the store denies denies; else the lowest reduced pre-auth of the
    risks the store adjusts (never above what Amazon asked); else approved as asked."""
    if owed > 0:
        return GateOutcome(False, GateReason.OUTSTANDING_DEBT, None, f"card owes {owed}"), None, ""
    policies = {risk: mapping.fa_policy(risk) for risk in dict.fromkeys(risks)}
    denied = [risk for risk, (action, _) in policies.items() if action == FaRiskAction.DENY]
    if denied:
        detail = f"Amazon reports {', '.join(denied)}; the store denies it"
        return GateOutcome(False, GateReason.RISK_DENIED, None, detail), None, ""
    asked = requested if requested is not None else mapping.preauth_amount
    adjusted = [
        (amount, risk)
        for risk, (action, amount) in policies.items()
        if action == FaRiskAction.ADJUST and amount is not None
    ]
    if adjusted:
        amount, risk = min(adjusted)
        amount = min(amount, asked)
        detail = f"Amazon reports {risk}; pre-auth {amount:.2f} instead of {asked:.2f}"
        return GateOutcome(True, GateReason.RISK_ADJUSTED, None, detail), amount, "fa_adjust"
    detail = f"Amazon reports {', '.join(policies)}; the store admits it" if policies else ""
    return GateOutcome(True, GateReason.ADMITTED, None, detail), asked, "fa_approve"


def gate_authorize_card(
    *,
    mapping: JwoStoreMapping,
    card_token: str,
    auth_event_id: str,
    event_time: datetime,
    risks: list[str],
    requested_amount: Decimal | None = None,
    currency: str | None = None,
    trip_id: str = "",
) -> GateDecision:
    """F&A for card entry (retailer-managed strategy), by the store's F&A policy (its mapping):
    deny a card that owes money or a risk the store denies, admit with a reduced pre-auth for a
    risk it adjusts, admit otherwise. One decision per gate event; the decision keeps the
    pre-auth answered, for the trip (orders reads it at CreatePurchases)."""
    existing = GateDecision.objects.filter(auth_event_id=auth_event_id)
    if (found := existing.first()) is not None:
        return found
    owed = card_outstanding_balance(card_token=card_token)
    outcome, amount, source = _fa_outcome(
        mapping=mapping, owed=owed, risks=risks, requested=requested_amount
    )
    currency = currency or mapping.store.currency
    try:
        with transaction.atomic():
            decision = GateDecision.objects.create(
                jwo_store_id=mapping.jwo_store_id,
                auth_event_id=auth_event_id,
                entry=EntryMethod.CARD,
                admitted=outcome.admitted,
                reason=outcome.reason,
                detail=outcome.detail[:300],
                risks=risks[:20],
                authorized_amount=quantize(amount, currency) if amount is not None else None,
                authorized_source=source,
                currency=currency if amount is not None else "",
                event_time=event_time,
            )
    except IntegrityError:
        return existing.get()
    logger.info(
        "card decision %s (%s)",
        "admit" if decision.admitted else "refuse",
        decision.reason,
        extra={
            "store_id": mapping.jwo_store_id,
            "auth_event_id": auth_event_id,
            "trip_id": trip_id,
        },
    )
    return decision


# The gate's reads, compiled once (jwo_console/compiledsql.py): the same SQL on every call.
_scan_key_by_token = Compiled(
    lambda token: (
        AppScanKey.objects.select_related("shopper").filter(token=token).order_by("pk")[:1]
    )
)
_card_decision_among = Compiled(
    lambda ids: GateDecision.objects.filter(
        auth_event_id__in=ids,
        entry=EntryMethod.CARD,
        admitted=True,
        authorized_amount__isnull=False,
    ).order_by("event_time", "pk")[:1]
)


def gate_authorized_amount(*, auth_event_ids: list[str]) -> GateDecision | None:
    """The admitting card decision among a trip's auth events (the first that carries an
    authorized amount): what the console answered at the gate, for the trip's record."""
    if not auth_event_ids:
        return None
    return _card_decision_among.first(tuple(auth_event_ids))


def shopper_for_key(*, identity_key: str, at: datetime) -> tuple[Shopper | None, str]:
    """GetShopper (assisted shopping): the shopper behind a Scan Key Code, or the reason not."""
    try:
        key = scankeys.decode_identity_key(identity_key, prefix=settings.JWO_SCAN_KEY_PREFIX)
    except scankeys.MalformedKey:
        return None, GateReason.MALFORMED_KEY
    record = _scan_key_by_token.first(key.token)
    if record is None or record.issued_at != key.issued_at:
        return None, GateReason.UNKNOWN_KEY
    if at - record.issued_at > timedelta(seconds=settings.JWO_SCAN_KEY_MAX_AGE_SECONDS):
        return None, GateReason.EXPIRED_KEY
    if record.shopper.is_flagged:
        return None, GateReason.FLAGGED
    return record.shopper, GateReason.ADMITTED


def shopper_app_token_issue(*, shopper: Shopper, token: str | None = None) -> str:
    """A new bearer token for the shopper's app (the old one stops working). Stored hashed.
    ``token`` is for demo data only, where a fixed token is printed."""
    token = token or secrets.token_urlsafe(32)
    shopper.app_token_hash = hashlib.sha256(token.encode()).hexdigest()
    shopper.save(update_fields=["app_token_hash", "updated_at"])
    return token


def shopper_by_app_token(token: str) -> Shopper | None:
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Shopper.objects.filter(app_token_hash=digest).first()


@dataclass(frozen=True)
class IssuedScanKey:
    code: str
    issued_at: datetime
    expires_at: datetime


def scan_key_issue(*, shopper: Shopper) -> IssuedScanKey:
    """A fresh Scan Key Code for the app to show (refused to a flagged shopper up front)."""
    if shopper.is_flagged:
        from jwo_console.exceptions import ApplicationError

        raise ApplicationError("This account cannot enter stores right now.")
    issued = timezone.now().replace(microsecond=0)
    key = AppScanKey.objects.create(shopper=shopper, token=scankeys.new_token(), issued_at=issued)
    code = scankeys.encode(prefix=settings.JWO_SCAN_KEY_PREFIX, issued_at=issued, token=key.token)
    window = timedelta(seconds=settings.JWO_SCAN_KEY_MAX_AGE_SECONDS)
    return IssuedScanKey(code=code, issued_at=issued, expires_at=issued + window)


def _decide(*, identity_key: str, event_time: datetime, mapping: JwoStoreMapping) -> GateOutcome:
    try:
        key = scankeys.decode_identity_key(identity_key, prefix=settings.JWO_SCAN_KEY_PREFIX)
    except scankeys.WrongPrefix as exc:
        return GateOutcome(False, GateReason.WRONG_PREFIX, None, str(exc))
    except scankeys.MalformedKey as exc:
        return GateOutcome(False, GateReason.MALFORMED_KEY, None, str(exc))
    record = _scan_key_by_token.first(key.token)
    if record is None or record.issued_at != key.issued_at:
        return GateOutcome(False, GateReason.UNKNOWN_KEY, None, "no such code was issued")
    shopper = record.shopper
    age = event_time - record.issued_at
    max_age = timedelta(seconds=settings.JWO_SCAN_KEY_MAX_AGE_SECONDS)
    if age > max_age or age < -FUTURE_SKEW:
        detail = (
            f"issued {int(age.total_seconds())} s before the scan (at most {max_age.seconds} s)"
        )
        return GateOutcome(False, GateReason.EXPIRED_KEY, shopper, detail)
    if shopper.is_flagged:
        return GateOutcome(False, GateReason.FLAGGED, shopper, shopper.flag_reason)
    if mapping.fa_strategy == FraudAbuseStrategy.RETAILER_MANAGED:
        owed = shopper_outstanding_balance(shopper=shopper)
        if owed > 0:
            return GateOutcome(False, GateReason.OUTSTANDING_DEBT, shopper, f"owes {owed}")
    return GateOutcome(True, GateReason.ADMITTED, shopper)


def gate_verify_identity_key(
    *, mapping: JwoStoreMapping, identity_key: str, auth_event_id: str, event_time: datetime
) -> GateDecision:
    """VerifyIdentityKeys: decide whether the app shopper may enter, and record why. One
    decision per ``authEvent.id`` (the unique constraint; the connector's dedupe means a repeat
    rarely gets here): a repeat returns the decision already made."""
    outcome = _decide(identity_key=identity_key, event_time=event_time, mapping=mapping)
    try:
        # One INSERT, no transaction or savepoint of its own (round trips saved on the gate's
        # hot path): the unique auth_event_id is the idempotency, and the connector's dedupe
        # already lets one request per gate event get here. Through the connector it is held
        # and goes with the stored answer (jwo_console/heldwrites.py).
        decision = insert_or_hold(
            GateDecision(
                jwo_store_id=mapping.jwo_store_id,
                auth_event_id=auth_event_id,
                entry=EntryMethod.APP,
                shopper=outcome.shopper,
                admitted=outcome.admitted,
                reason=outcome.reason,
                detail=outcome.detail[:300],
                event_time=event_time,
            )
        )
    except IntegrityError:
        if connection.in_atomic_block:
            raise  # the enclosing request fails; its retry finds this decision via the dedupe
        # a concurrent duplicate decided first
        return GateDecision.objects.select_related("shopper").get(auth_event_id=auth_event_id)
    logger.info(
        "gate decision %s (%s)",
        "admit" if decision.admitted else "refuse",
        decision.reason,
        extra={"store_id": mapping.jwo_store_id, "auth_event_id": auth_event_id},
    )
    return decision
