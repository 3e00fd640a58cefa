"""E-mails to shoppers: the sign-in link, the receipt after capture, refund news, a payoff's
confirmation. Each is sent once (``ShopperEmail.key`` is unique) through Django's e-mail backend
(the console backend under ``make run``). Links point at ``PORTAL_BASE_URL``."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from orders.models import Order
from payments.models import Payoff, Refund

from .models import ShopperEmail, SignInLink
from .selectors import payoff_view

logger = logging.getLogger(__name__)


def portal_url(name: str, *args: object) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(name, args=args)


def _send(*, key: str, to: str, subject: str, template: str, context: dict) -> bool:
    """Claim the key, send, and give the key back if sending failed (so a retry sends)."""
    if not to:
        return False
    try:
        with transaction.atomic():
            record = ShopperEmail.objects.create(key=key, to=to, subject=subject[:200])
    except IntegrityError:
        return False  # sent already
    context = {**context, "subject": subject}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"portal/email/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"portal/email/{template}.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        record.delete()
        raise
    logger.info("shopper e-mail sent: %s", key.split(":")[0], extra={"email_key": key})
    return True


def shopper_address(order: Order) -> str:
    """GetShopperIdentity's address (kept with the receipt data), else the app account's."""
    receipt = getattr(order, "receipt", None)
    if receipt is not None and receipt.shopper_email:
        return receipt.shopper_email
    return order.trip.shopper.email if order.trip.shopper_id else ""


def signin_email_send(*, link_id: int, token: str) -> bool:
    link = SignInLink.objects.get(pk=link_id)
    return _send(
        key=f"signin:{link.pk}",
        to=link.email,
        subject="Your sign-in link",
        template="signin",
        context={
            "url": portal_url("portal:signin", token),
            "minutes": settings.PORTAL_LINK_TTL_MINUTES,
        },
    )


def receipt_email_send(*, order_id: int) -> bool:
    order = Order.objects.select_related("trip__shopper", "store", "receipt").get(pk=order_id)
    return _send(
        key=f"receipt:{order.pk}",
        to=shopper_address(order),
        subject=f"Your receipt from {order.store.name}: {order.total} {order.currency}",
        template="receipt",
        context={
            "order": order,
            "lines": list(order.lines.all()),
            "ended": order.trip.ended_at.astimezone(order.store.zone),
            "receipt": order.receipt,
            "url": portal_url("portal:receipt", order.purchase_id),
        },
    )


def declined_email_send(*, order_id: int) -> bool:
    """The card was declined: the shopper learns what is owed and where to pay it (the store
    may not let them in until then). Sent once per order, on its first decline."""
    order = Order.objects.select_related("trip__shopper", "store", "receipt").get(pk=order_id)
    return _send(
        key=f"declined:{order.pk}",
        to=shopper_address(order),
        subject=f"Your payment to {order.store.name} did not go through",
        template="declined",
        context={
            "order": order,
            "ended": order.trip.ended_at.astimezone(order.store.zone),
            "url": portal_url("portal:balance"),
        },
    )


REFUND_SUBJECTS = {
    "REQUESTED": "We received your refund request",
    "REFUNDED": "Your refund of {amount} {currency} is on its way",
    "REJECTED": "Your refund request was not approved",
}


def refund_email_send(*, refund_id: int) -> bool:
    refund = Refund.objects.select_related("order__trip__shopper", "order__store").get(pk=refund_id)
    subject = REFUND_SUBJECTS.get(refund.status)
    if subject is None:  # APPROVED: the REFUNDED mail follows in a moment
        return False
    order = refund.order
    return _send(
        key=f"refund:{refund.pk}:{refund.status}",
        to=shopper_address(order),
        subject=subject.format(amount=refund.amount, currency=refund.currency),
        template="refund",
        context={
            "refund": refund,
            "order": order,
            "url": portal_url("portal:receipt", order.purchase_id),
        },
    )


def payoff_email_send(*, payoff_id: int) -> bool:
    payoff = Payoff.objects.get(pk=payoff_id)
    return _send(
        key=f"payoff:{payoff.pk}",
        to=payoff.email,
        subject=f"Balance paid: {payoff.amount} {payoff.currency}. You can shop again",
        template="payoff",
        context={
            "payoff": payoff,
            "url": portal_url("portal:payoff", payoff.public_id),
            **payoff_view(payoff),
        },
    )
