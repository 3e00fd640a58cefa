"""The portal's own rules: signing in (one-time e-mail links, card lookup) and nothing about
money — refunds and payoffs are the payments services'."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jwo_console.exceptions import ApplicationError
from orders.choices import OrderStatus
from orders.models import Order

from . import ratelimit
from .models import SignInLink
from .selectors import email_known

logger = logging.getLogger(__name__)


class TooManyRequests(ApplicationError):
    pass


class LinkInvalid(ApplicationError):
    pass


class LookupAmbiguous(ApplicationError):
    """More than one trip has this card ending, day and amount: the statement's transaction id
    tells them apart (nothing of either trip is shown)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signin_link_request(*, email: str, ip: str | None, now: datetime | None = None) -> None:
    """Send a one-time sign-in link if the address is one we know; say nothing about whether it
    is. Rate-limited per address and per IP whether or not the address is known."""
    email = email.strip().lower()
    if not ratelimit.hit(settings.PORTAL_SIGNIN_RATE_PER_IP, "signin-ip", ip or "?"):
        raise TooManyRequests("Too many sign-in requests from here. Try again later.")
    if not ratelimit.hit(settings.PORTAL_SIGNIN_RATE_PER_EMAIL, "signin-email", email):
        raise TooManyRequests("Too many sign-in links asked for this address. Try again later.")
    if not email_known(email):
        logger.info("portal sign-in asked for an unknown address")
        return
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = SignInLink.objects.create(
            token_hash=_hash(token),
            email=email,
            expires_at=now + timedelta(minutes=settings.PORTAL_LINK_TTL_MINUTES),
            requested_ip=ip,
        )
        from .tasks import signin_email_task

        transaction.on_commit(lambda: signin_email_task.delay(link.pk, token))
    logger.info("portal sign-in link issued", extra={"link_id": link.pk})


def signin_link_check(*, token: str, now: datetime | None = None) -> SignInLink:
    """The link behind a token, if it can still be used (the page before the button)."""
    now = now or timezone.now()
    link = SignInLink.objects.filter(token_hash=_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise LinkInvalid(
            "This sign-in link has expired or was already used. Ask for a new one below."
        )
    return link


def signin_link_consume(*, token: str, now: datetime | None = None) -> str:
    """Use the link once: one conditional UPDATE, so two tabs racing cannot both sign in."""
    now = now or timezone.now()
    used = SignInLink.objects.filter(
        token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if used != 1:
        raise LinkInvalid(
            "This sign-in link has expired or was already used. Ask for a new one below."
        )
    return SignInLink.objects.get(token_hash=_hash(token)).email


@dataclass(frozen=True)
class CardLookup:
    last4: str = ""
    day: date | None = None
    amount: Decimal | None = None
    statement_id: str = ""


def card_lookup(*, lookup: CardLookup, ip: str | None) -> Order | None:
    """One trip from the card's statement: its ``cardStatementTransactionId``, or the last four
    digits, the day (the store's) and the total together. Exactly one match or nothing; when
    last four + day + amount match several trips, ``LookupAmbiguous`` asks for the statement's
    transaction id (which is unique) instead of a misleading "not found". Nothing of any trip is
    shown before one matches. Every try counts against the IP's limit."""
    if not ratelimit.hit(settings.PORTAL_LOOKUP_RATE_PER_IP, "lookup-ip", ip or "?"):
        raise TooManyRequests("Too many lookups from here. Try again in an hour.")
    orders = Order.objects.select_related("trip", "store", "receipt").exclude(
        status=OrderStatus.PENDING
    )
    if lookup.statement_id:
        statement_id = lookup.statement_id.strip().upper()  # stored upper-case, indexed
        matches = list(orders.filter(receipt__card_statement_transaction_id=statement_id)[:2])
    elif lookup.last4 and lookup.day and lookup.amount is not None:
        window = (
            timezone.make_aware(
                datetime.combine(lookup.day - timedelta(days=1), datetime.min.time())
            ),
            timezone.make_aware(
                datetime.combine(lookup.day + timedelta(days=2), datetime.min.time())
            ),
        )
        candidates = orders.filter(
            receipt__tail=lookup.last4,
            total=lookup.amount,
            trip__ended_at__range=window,
        )[:10]
        matches = [
            o for o in candidates if o.trip.ended_at.astimezone(o.store.zone).date() == lookup.day
        ]
        if len(matches) > 1:
            logger.info("portal card lookup ambiguous")
            raise LookupAmbiguous(
                "More than one trip matches this card ending, day and amount. Enter the "
                "transaction id printed on your card statement to find yours."
            )
    else:
        return None
    found = matches[0] if len(matches) == 1 else None
    logger.info("portal card lookup %s", "matched" if found else "not matched")
    return found
