"""ReportPaymentStatus to Amazon (Amazon-managed F&A): how a trip's payment ended, so Amazon can
keep a shopper who owes money out of its stores — and let them back in once it is paid.

A report is a row first (``PaymentStatusReport``, unique ``reference``), queued in the same
transaction as the outcome it reports, and sent after that commits. Amazon not answering (or
answering 5xx/429/403) leaves it PENDING with ``next_attempt_at``; beat resends it every minute
until Amazon accepts. A 4xx other than those is Amazon refusing the report itself (an unknown
trip, a bad field): resending it unchanged cannot help, so it is REJECTED and shows on the order.

The call reports a state, so sending one twice is harmless (the latest report is what Amazon
keeps); the time sent is the outcome's time, not the send time.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.amazon import feedback as feedback_api
from integrations.amazon.errors import AmazonError, AmazonRejectedError
from integrations.amazon.money import PaymentMoney
from jwo_console.compiledsql import insert_once
from jwo_console.money import ZERO
from jwo_console.queueing import send_on_commit
from orders.models import Order
from shoppers.ledger import trip_outstanding
from stores.choices import FraudAbuseStrategy, PaymentMode
from stores.selectors import mapping_for_store

from .choices import ReportStatus
from .models import PaymentStatusReport

logger = logging.getLogger(__name__)


def reports_amazon(order: Order) -> bool:
    """Amazon tracks the shopper's balance when the store's F&A is Amazon-managed and the
    retailer takes the payments (Payment Service); the Checkout Service's debts are Amazon's."""
    mapping = mapping_for_store(store=order.store_id)
    return (
        mapping is not None
        and mapping.fa_strategy == FraudAbuseStrategy.AMAZON_MANAGED
        and mapping.payment_mode == PaymentMode.PAYMENT_SERVICE
    )


def payment_status_report_queue(
    *, order: Order, reference: str, when: datetime
) -> PaymentStatusReport | None:
    """Inside the outcome's transaction: record what Amazon is to be told (the total, and what
    was collected: the total less what the ledger still holds open for the trip) and send it
    once the transaction commits. Once per ``reference``."""
    if not reports_amazon(order):
        return None
    owed = max(trip_outstanding(trip_id=order.trip.trip_id), ZERO)
    report, created = insert_once(
        PaymentStatusReport,
        unique="reference",
        values={
            "reference": reference,
            "order": order,
            "total_amount": order.total,
            "settled_amount": max(order.total - owed, ZERO),
            "currency": order.currency,
            "status_time": when,
            # The task sent at commit sends it; the beat's sweep takes over only a report whose
            # task has not run within the grace (a lost task), not one still queued behind a
            # rush (which it would send twice: a second task, a second call to Amazon).
            "next_attempt_at": timezone.now() + timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS),
        },
    )
    if created:
        send_on_commit(
            "payments.tasks.payment_status_report_send_task", report.pk, order_id=order.pk
        )
    return report


def payment_status_report_send(
    *, report_id: int, now: datetime | None = None
) -> PaymentStatusReport:
    now = now or timezone.now()
    report = PaymentStatusReport.objects.select_related("order__trip").get(pk=report_id)
    if report.status != ReportStatus.PENDING:
        return report
    trip = report.order.trip
    request = feedback_api.ReportPaymentStatusRequest(
        store_id=trip.jwo_store_id,
        shopping_trip_id=trip.trip_id,
        total_amount=PaymentMoney(report.total_amount, report.currency),
        settled_amount=PaymentMoney(report.settled_amount, report.currency),
        payment_status_time=report.status_time,
    )
    fields: dict = {"attempts": report.attempts + 1}
    try:
        feedback_api.client().report_payment_status(request)
    except AmazonRejectedError as exc:
        fields.update(status=ReportStatus.REJECTED, last_error=str(exc)[:500], next_attempt_at=None)
        logger.warning(
            "payment status report rejected: %s", exc, extra={"order_id": report.order_id}
        )
    except AmazonError as exc:  # transient, or the gateway refusing our credentials: try again
        retry = now + timedelta(seconds=settings.JWO_FEEDBACK_RETRY_SECONDS)
        fields.update(last_error=str(exc)[:500], next_attempt_at=retry)
        logger.warning("payment status report not sent: %s", exc, extra={"trip_id": trip.trip_id})
    else:
        fields.update(
            status=ReportStatus.ACCEPTED, accepted_at=now, last_error="", next_attempt_at=None
        )
        logger.info(
            "payment status reported: %s of %s %s",
            report.settled_amount,
            report.total_amount,
            report.currency,
            extra={"trip_id": trip.trip_id, "order_id": report.order_id},
        )
    PaymentStatusReport.objects.filter(pk=report.pk, status=ReportStatus.PENDING).update(
        updated_at=now, **fields
    )
    report.refresh_from_db()
    return report


def payment_status_reports_claim(
    *, now: datetime | None = None, due_before: datetime | None = None, limit: int = 200
) -> list[int]:
    """Reports due by ``due_before`` (default ``now``) to be (re)sent, claimed for a few
    minutes so a concurrent sweep skips them."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            PaymentStatusReport.objects.select_for_update(skip_locked=True)
            .filter(status=ReportStatus.PENDING, next_attempt_at__lte=due_before or now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        PaymentStatusReport.objects.filter(pk__in=ids).update(
            next_attempt_at=now + timedelta(seconds=settings.JWO_FEEDBACK_RETRY_SECONDS)
        )
    return ids
