"""Refunds of captured orders: requested (by staff or the shopper in the portal), approved (by
a person or the store's auto-approval limit), sent to Amazon with a lower-case UUID fixed before
the call and resent unchanged until Amazon answers. Never above what was captured, less what is
refunded or on its way; never after the refund window."""

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from integrations.amazon.money import PaymentMoney
from jwo_console.exceptions import ApplicationError
from jwo_console.money import ZERO, quantize
from jwo_console.queueing import send_on_commit
from orders.models import Order
from orders.services import order_event
from stock.services import stock_return_for_refund
from stores.choices import PaymentMode
from stores.selectors import store_settings

from . import signals
from .attempts import notify as _notify
from .attempts import trip_ref as _trip_ref
from .choices import AttemptStatus, RefundReason, RefundStatus
from .models import Refund

logger = logging.getLogger(__name__)


SEND_LEASE_SECONDS = 90  # longer than the transport's tries of one Refund call


class RefundNotAllowed(ApplicationError):
    pass


# --------------------------------------------------------------------------------------


def refundable_amount(*, order: Order) -> Decimal:
    """Captured minus refunded minus refunds on their way."""
    open_statuses = [RefundStatus.REQUESTED, RefundStatus.APPROVED]
    in_flight = sum((r.amount for r in order.refunds.filter(status__in=open_statuses)), ZERO)
    return order.captured_amount - order.refunded_amount - in_flight


def refunds_possible(*, order: Order, now: datetime | None = None) -> bool:
    """Whether a refund can be asked for at all: captured through the Payment Service (the
    Checkout Service's refunds are Amazon's), within the window, something left to refund."""
    now = now or timezone.now()
    if _paid_through(order) == PaymentMode.CHECKOUT_SERVICE:
        return False
    return now <= refund_deadline(order=order) and refundable_amount(order=order) > 0


def _paid_through(order: Order) -> str:
    """The service the order was paid through (the attempt's, not the store's current mode)."""
    service = (
        order.payment_attempts.filter(status=AttemptStatus.SUCCEEDED)
        .values_list("service", flat=True)
        .first()
    )
    if service:
        return service
    return store_settings(store=order.store_id).payment_mode


def refund_deadline(*, order: Order) -> datetime:
    return order.trip.ended_at + timedelta(days=settings.JWO_REFUND_WINDOW_DAYS)


def refund_request(
    *,
    order: Order,
    amount: Decimal,
    reason_code: str,
    actor: AbstractBaseUser | None = None,
    by_shopper: bool = False,
    note: str = "",
    lines: list[dict] | None = None,
    now: datetime | None = None,
) -> Refund:
    """Record a refund request (REQUESTED), within the refund window and never above what was
    captured minus what is refunded or on its way. The Refund's UUID is fixed here."""
    now = now or timezone.now()
    amount = quantize(Decimal(amount), order.currency)
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("trip", "store")
            .get(pk=order.pk)
        )
        if _paid_through(locked) == PaymentMode.CHECKOUT_SERVICE:
            raise RefundNotAllowed(
                "This store uses the Checkout Service: Amazon handles its refunds."
            )
        if amount <= 0:
            raise RefundNotAllowed("A refund must be more than zero.")
        if now > refund_deadline(order=locked):
            raise RefundNotAllowed(
                f"The refund window of {settings.JWO_REFUND_WINDOW_DAYS} days closed on "
                f"{refund_deadline(order=locked):%Y-%m-%d}."
            )
        available = refundable_amount(order=locked)
        if amount > available:
            raise RefundNotAllowed(
                f"At most {max(available, ZERO)} {locked.currency} can be refunded "
                f"(captured {locked.captured_amount}, refunded or requested the rest)."
            )
        refund = Refund.objects.create(
            order=locked,
            refund_request_id=str(uuid.uuid4()),
            amount=amount,
            currency=locked.currency,
            reason_code=reason_code,
            note=note[:500],
            lines=lines or [],
            requested_by=actor,
            requested_by_shopper=by_shopper,
        )
        order_event(
            order=locked,
            type="refund_requested",
            actor=actor,
            refund_id=refund.pk,
            amount=str(amount),
            reason=reason_code,
            by_shopper=by_shopper,
        )
        if by_shopper:
            _notify(signals.refund_changed, refund_id=refund.pk)
    return refund


def refunded_line_numbers(*, order: Order) -> set[int]:
    """Lines already refunded or asked for (a rejected request frees its lines again)."""
    taken: set[int] = set()
    for lines in order.refunds.exclude(status=RefundStatus.REJECTED).values_list(
        "lines", flat=True
    ):
        taken.update(int(line["line_no"]) for line in lines or [] if "line_no" in line)
    return taken


def refund_request_by_shopper(
    *,
    order: Order,
    reason_code: str,
    line_numbers: list[int] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Refund:
    """A shopper's request from the portal: for the whole trip (what is still refundable) or for
    chosen lines (their totals, tax and discounts included; a line is refunded once). Approved
    and sent at once when it is no more than the store's ``refund_auto_approve_limit``;
    otherwise it waits for staff in the console."""
    if reason_code not in RefundReason.values:
        raise RefundNotAllowed("Choose a reason for the refund.")
    lines: list[dict] = []
    if line_numbers:
        chosen = list(order.lines.filter(line_no__in=line_numbers))
        if len(chosen) != len(set(line_numbers)):
            raise RefundNotAllowed("Choose items from this receipt.")
        taken = refunded_line_numbers(order=order) & {line.line_no for line in chosen}
        if taken:
            raise RefundNotAllowed(
                "A refund was already asked for "
                + ", ".join(line.name or line.sku for line in chosen if line.line_no in taken)
                + "."
            )
        lines = [
            {"line_no": line.line_no, "sku": line.sku, "name": line.name, "amount": str(line.total)}
            for line in chosen
        ]
        amount = sum((line.total for line in chosen), ZERO)
    else:
        amount = refundable_amount(order=order)
    refund = refund_request(
        order=order,
        amount=amount,
        reason_code=reason_code,
        by_shopper=True,
        note=note,
        lines=lines,
        now=now,
    )
    limit = store_settings(store=order.store_id).refund_auto_approve_limit
    if limit > 0 and refund.amount <= limit:
        refund = refund_auto_approve(refund=refund)
    return refund


def refund_auto_approve(*, refund: Refund) -> Refund:
    """Approved by the store's rule (no person), sent to Amazon by a task after commit."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.REQUESTED:
            return locked
        locked.status = RefundStatus.APPROVED
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        order_event(
            order=locked.order,
            type="refund_auto_approved",
            refund_id=locked.pk,
            amount=str(locked.amount),
        )
        send_on_commit("payments.tasks.refund_send_task", locked.pk, order_id=locked.order_id)
    return locked


def refund_approve(*, refund: Refund, actor: AbstractBaseUser | None) -> Refund:
    """Approve and send the refund to Amazon (after the approval commits). A refund Amazon did
    not answer stays APPROVED and is resent with the same ``refundRequestId``."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundStatus.REQUESTED:
            locked.status = RefundStatus.APPROVED
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
            order_event(
                order=locked.order, type="refund_approved", actor=actor, refund_id=locked.pk
            )
        elif locked.status != RefundStatus.APPROVED:
            raise RefundNotAllowed(f"This refund is already {locked.get_status_display().lower()}.")
    return refund_send(refund_id=locked.pk)


def refund_reject(*, refund: Refund, actor: AbstractBaseUser | None, reason: str) -> Refund:
    if not reason.strip():
        raise RefundNotAllowed("Say why the refund is rejected; the shopper is told.")
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.REQUESTED:
            raise RefundNotAllowed(f"This refund is already {locked.get_status_display().lower()}.")
        locked.status = RefundStatus.REJECTED
        locked.rejection_reason = reason[:300]
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        order_event(
            order=locked.order,
            type="refund_rejected",
            actor=actor,
            refund_id=locked.pk,
            reason=reason,
        )
        _notify(signals.refund_changed, refund_id=locked.pk)
    return locked


def refund_send(*, refund_id: int) -> Refund:
    """Send an approved refund to Amazon with its fixed ``refundRequestId``. One send at a time:
    a send holds a short lease on the row (``sending_until``, taken by a conditional UPDATE), so
    approvals pressed at once, a task and the resend sweep never send it together; a send whose
    answer was lost is sent again, unchanged, once the lease is over."""
    refund = Refund.objects.select_related("order__trip").get(pk=refund_id)
    if refund.status != RefundStatus.APPROVED:
        return refund
    now = timezone.now()
    claimed = (
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.APPROVED)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .update(sending_until=now + timedelta(seconds=SEND_LEASE_SECONDS))
    )
    if not claimed:
        return refund  # another send holds it right now
    try:
        result = payments_api.client().refund(
            _trip_ref(refund.order),
            PaymentMoney(refund.amount, refund.currency),
            refund_request_id=refund.refund_request_id,
            reason_code=refund.reason_code,
        )
    except AmazonTransientError as exc:
        Refund.objects.filter(pk=refund.pk).update(error=str(exc)[:500], sending_until=None)
        refund.error = str(exc)[:500]
        return refund
    except AmazonError as exc:
        with transaction.atomic():
            locked = Refund.objects.select_for_update().get(pk=refund.pk)
            if locked.status != RefundStatus.APPROVED:
                return locked  # another send finished it meanwhile: its outcome stands
            locked.status = RefundStatus.REJECTED
            locked.sending_until = None
            locked.rejection_reason = f"Amazon refused the refund: {exc.error_msg or exc}"[:300]
            locked.error = str(exc)[:500]
            locked.save()
            order_event(
                order=refund.order, type="refund_failed", refund_id=locked.pk, error=str(exc)
            )
            _notify(signals.refund_changed, refund_id=locked.pk)
        return locked
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundStatus.APPROVED:
            locked.status = RefundStatus.REFUNDED
            locked.sending_until = None
            locked.reconciliation_id = result.reconciliation_id or ""
            locked.refunded_at = timezone.now()
            locked.error = ""
            locked.save()
            order.refunded_amount += locked.amount
            order.save(update_fields=["refunded_amount", "updated_at"])
            order_event(
                order=order,
                type="refunded",
                refund_id=locked.pk,
                amount=str(locked.amount),
                reconciliation_id=locked.reconciliation_id,
            )
            stock_return_for_refund(refund=locked)  # refunded lines go back (stock/services.py)
            _notify(signals.refund_changed, refund_id=locked.pk)
    logger.info("refund sent", extra={"order_id": order.pk, "refund_id": locked.pk})
    return locked


def refunds_unsent(*, now: datetime | None = None, older_than_seconds: int = 120) -> list[int]:
    """Approved refunds that have not reached Amazon (its answer lost, the task lost): the ids
    the beat sends again, with their unchanged ``refundRequestId``."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=older_than_seconds)
    return list(
        Refund.objects.filter(status=RefundStatus.APPROVED, updated_at__lt=stale)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:200]
    )
