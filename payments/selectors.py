"""Reads for payments: the due retries, the order grid."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from orders.choices import OrderStatus
from orders.models import Order


def orders_due_for_retry(*, now: datetime) -> QuerySet[Order]:
    """Orders the sweep takes now: a retry (or a PENDING adjust, or missing receipt data) that is
    due, and priced orders whose first payment task never ran (lost with a worker)."""
    lost_after = now - timedelta(minutes=settings.JWO_RETRY_COOLDOWN_MINUTES)
    return Order.objects.filter(
        Q(
            next_retry_at__lte=now,
            status__in=[OrderStatus.ERROR, OrderStatus.PRICED, OrderStatus.PAID],
        )
        | Q(status=OrderStatus.PRICED, last_attempt_at__isnull=True, priced_at__lt=lost_after)
    ).order_by("next_retry_at", "pk")
