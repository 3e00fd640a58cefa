"""Every read the portal makes goes through these, scoped to the signed-in shopper. Receipts
are read through the order (``receipt``) and balances through shoppers/ledger.py, so nothing
here imports payments."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from orders.choices import OrderStatus
from orders.models import Order
from shoppers.ledger import Party
from shoppers.models import Shopper

from .access import PortalAccess

CARD_TRIPS_PER_ADDRESS = 5_000  # card trips e-mailed to one address, newest first


def _scope_q(access: PortalAccess) -> Q:
    """Which orders the shopper may see: their app account's trips, the card trips Amazon
    e-mailed to their address (receipt e-mails are stored lower-case, on an index), and the trips
    found by card. One source is filtered directly, so an app shopper's newest trips come
    straight off the (shopper, ended_at) index; several are combined in one UNION of ids, each
    branch on its own index (an OR across the join would scan every order)."""
    shopper_ids: list[int] = []
    extra_ids = list(access.order_ids)
    if access.email:
        email = access.email.lower()
        shopper_ids = list(Shopper.objects.filter(email__iexact=email).values_list("pk", flat=True))
        extra_ids += list(
            Order.objects.filter(receipt__shopper_email=email, trip__shopper__isnull=True)
            .order_by("-receipt__order_id")
            .values_list("pk", flat=True)[:CARD_TRIPS_PER_ADDRESS]
        )
    if shopper_ids and extra_ids:
        app = Order.objects.filter(trip__shopper_id__in=shopper_ids).order_by().values("pk")
        rest = Order.objects.filter(pk__in=extra_ids).order_by().values("pk")
        return Q(pk__in=app.union(rest))
    if shopper_ids:
        return Q(trip__shopper_id__in=shopper_ids)
    return Q(pk__in=extra_ids)


def orders_for(access: PortalAccess) -> QuerySet[Order]:
    """The shopper's orders, newest trip first. Nothing else, ever."""
    return (
        Order.objects.filter(_scope_q(access))
        .exclude(status=OrderStatus.PENDING)
        .select_related("trip", "store", "receipt")
        .order_by("-trip__ended_at", "-pk")
    )


def order_for(access: PortalAccess, purchase_id: str) -> Order | None:
    return orders_for(access).filter(purchase_id=purchase_id).first()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), UTC)


def search_orders(
    access: PortalAccess,
    *,
    q: str = "",
    card: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """Filter by date (the day the trip ended; the database narrows to a day either side in UTC
    and ``in_store_days`` keeps the days as the store's clock saw them), by card
    (``VISA-4242``) and by the order or statement transaction id."""
    orders = orders_for(access)
    if date_from:
        orders = orders.filter(trip__ended_at__gte=_start_of(date_from - timedelta(days=1)))
    if date_to:
        orders = orders.filter(trip__ended_at__lt=_start_of(date_to + timedelta(days=2)))
    if card and "-" in card:
        brand, tail = card.rsplit("-", 1)
        orders = orders.filter(receipt__brand=brand, receipt__tail=tail)
    if q := q.strip().upper():  # order numbers and statement ids are stored upper-case
        orders = orders.filter(Q(purchase_id=q) | Q(receipt__card_statement_transaction_id=q))
    return orders


def cards_for(access: PortalAccess) -> list[tuple[str, str]]:
    """The cards on the shopper's receipts, for the filter: (value, label)."""
    newest = list(orders_for(access).values_list("pk", flat=True)[:500])  # the newest trips
    pairs = (
        Order.objects.filter(pk__in=newest, receipt__isnull=False)
        .exclude(receipt__tail="")
        .values_list("receipt__brand", "receipt__tail")
        .order_by()
        .distinct()
    )
    return sorted({(f"{b}-{t}", f"{b.title()} ending {t}") for b, t in pairs})


def party_for(access: PortalAccess) -> Party:
    """Whose balance the shopper may see and pay: their app account, the cards Amazon knows
    them by (card trips e-mailed to them), or only the trips they found by card."""
    if access.email:
        shopper = Shopper.objects.filter(email__iexact=access.email).first()
        cards = (
            Order.objects.filter(receipt__shopper_email=access.email.lower(), trip__shopper=None)
            .exclude(trip__amazon_shopper_id="")
            .values_list("trip__amazon_shopper_id", flat=True)
            .order_by()
            .distinct()
        )
        return Party(shopper=shopper, card_tokens=tuple(sorted(set(cards))))
    trip_ids = Order.objects.filter(pk__in=access.order_ids).values_list("trip__trip_id", flat=True)
    return Party(trip_ids=tuple(sorted(trip_ids)))


def email_known(email: str) -> bool:
    return (
        Shopper.objects.filter(email__iexact=email).exists()
        or Order.objects.filter(receipt__shopper_email=email.lower()).exists()
    )


def in_store_days(orders, *, date_from: date | None, date_to: date | None) -> list[Order]:
    """Keep the orders whose trip ended within the days as the store's own clock saw them."""
    kept = []
    for order in orders:
        day = order.trip.ended_at.astimezone(order.store.zone).date()
        if (date_from is None or day >= date_from) and (date_to is None or day <= date_to):
            kept.append(order)
    return kept


def payoff_view(payoff) -> dict:
    """What a payoff's page and e-mail show: the trips it paid (read here, not in the template,
    where ``payoff.items`` would be taken for ``dict.items``) and when it was paid, in the time
    zone of the store of its first trip."""
    items = list(payoff.items or [])
    order_ids = [item.get("order_id") for item in items if item.get("order_id")]
    first = (
        Order.objects.select_related("store").filter(pk__in=order_ids).order_by("pk").first()
        if order_ids
        else None
    )
    time_zone = first.store.time_zone if first else "UTC"
    paid_at = (
        payoff.paid_at.astimezone(first.store.zone) if first and payoff.paid_at else payoff.paid_at
    )
    return {"paid_items": items, "paid_at": paid_at, "time_zone": time_zone}


def trip_owed(order: Order) -> Decimal:
    """What the shopper still owes for this trip, from the ledger (debts minus payments)."""
    from django.db.models import Sum

    from shoppers.models import LedgerEntry

    total = LedgerEntry.objects.filter(trip_id=order.trip.trip_id).aggregate(t=Sum("amount"))["t"]
    return max(total or Decimal("0"), Decimal("0"))
