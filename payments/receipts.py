"""Receipt data after the capture (and, once, after a decline): GetTransactionalData for the
card, GetShopperIdentity for the e-mail. A PAID order carries the next action RECEIPT until the
data is stored, so a fetch lost with a worker is asked again by the sweep."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from orders.choices import NextAction, OrderStatus
from orders.models import Order
from orders.selectors import order_get
from orders.services import order_event, order_next_action, order_transition

from . import signals
from .attempts import notify, trip_ref
from .models import PaymentReceipt

logger = logging.getLogger(__name__)


def payment_receipt_fetch(*, order_id: int, now: datetime | None = None) -> PaymentReceipt | None:
    """After the capture: the card data (GetTransactionalData) and the shopper's e-mail
    (GetShopperIdentity) for the receipt, then COMPLETED. Amazon not answering leaves the order
    PAID with the next action RECEIPT a little later.

    After a decline the same data is fetched once (the order stays in ERROR): the e-mail is how
    a card shopper signs in to the portal to pay, and the card's last four digits how they find
    the trip by card."""
    now = now or timezone.now()
    order = order_get(order_id, "trip")
    declined = order.status == OrderStatus.ERROR and not hasattr(order, "receipt")
    if (order.status != OrderStatus.PAID and not declined) or order.checkout_order_id:
        return getattr(order, "receipt", None)
    client = payments_api.client()
    try:
        data = client.get_transactional_data(trip_ref(order))
        email = None
        if order.trip.amazon_shopper_id:
            email = client.get_shopper_identity(
                store_id=order.trip.jwo_store_id, shopper_id=order.trip.amazon_shopper_id
            ).shopper_email
    except AmazonTransientError as exc:
        if not declined:  # a declined order keeps its retry schedule; its next try fetches
            later = now + timedelta(seconds=settings.JWO_TRANSIENT_RETRY_SECONDS)
            Order.objects.filter(pk=order.pk, status=OrderStatus.PAID).update(
                next_action=NextAction.RECEIPT, next_action_at=later
            )
        logger.warning("receipt data not fetched: %s", exc, extra={"order_id": order.pk})
        return None
    except AmazonError as exc:
        order_event(order=order, type="receipt_data_unavailable", error=str(exc)[:300])
        data, email = payments_api.TransactionalData(), None
    with transaction.atomic():
        order = order_get(order_id, lock=True)
        # The order is locked: no other run writes its receipt meanwhile, so a read and a
        # write (no savepoints, which update_or_create takes).
        receipt = PaymentReceipt.objects.filter(order=order).first() or PaymentReceipt(order=order)
        fields = {
            "brand": data.brand or "",
            "tail": (data.tail or "")[:4],
            "pos_entry_mode": data.pos_entry_mode or "",
            "authorization_response_code": data.authorization_response_code or "",
            "application_id": data.application_id or "",
            "terminal_id": data.terminal_id or "",
            "reconciliation_id": data.reconciliation_id or "",
            # upper-case: shoppers type it from a statement, the portal matches it exactly
            "card_statement_transaction_id": (data.card_statement_transaction_id or "")
            .strip()
            .upper(),
            "shopper_email": (email or "").strip().lower(),  # the portal matches on it
            "data": {k: v for k, v in data.__dict__.items() if v is not None},
        }
        for name, value in fields.items():
            setattr(receipt, name, value)
        receipt.save()
        if order.status == OrderStatus.PAID:
            order_transition(
                order=order,
                to=OrderStatus.COMPLETED,
                reason="receipt data stored",
                fields={
                    "completed_at": timezone.now(),
                    **order_next_action(order, NextAction.NONE, None),
                },
            )
            notify(signals.receipt_stored, order_id=order.pk)
        elif declined:
            notify(signals.payment_declined, order_id=order.pk)
    return receipt
