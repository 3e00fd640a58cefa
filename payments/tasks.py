"""Thin Celery wrappers: ids in, one service call.

Money tasks acknowledge late and go back to the queue when their worker is lost
(``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST`` in settings); every service
they call is safe to run twice. Whatever a lost task would have done, the sweep does later.
"""

from celery import shared_task


@shared_task(name="payments.tasks.order_advance_task", acks_late=True, reject_on_worker_lost=True)
def order_advance_task(order_id: int, claim: str | None = None) -> None:
    """Price, then pay; resume, resolve, fetch the receipt: the order's next action."""
    from .sweep import order_advance

    order_advance(order_id=order_id, claim=claim)


@shared_task(name="payments.tasks.orders_sweep_task")
def orders_sweep_task() -> int:
    """Beat: claim every order whose next action is due and give each its own task."""
    from django.utils import timezone

    from jwo_console.queueing import send_now

    from .sweep import orders_due_claim, sweep_horizon

    now = timezone.now()
    claimed = orders_due_claim(now=now, due_before=sweep_horizon(now=now))
    for order_id, claim in claimed:
        send_now("payments.tasks.order_advance_task", order_id, claim, order_id=order_id)
    return len(claimed)


@shared_task(name="payments.tasks.refund_send_task", acks_late=True, reject_on_worker_lost=True)
def refund_send_task(refund_id: int) -> None:
    from .refunds import refund_send

    refund_send(refund_id=refund_id)


@shared_task(name="payments.tasks.refunds_resend_task")
def refunds_resend_task() -> int:
    """Beat: approved refunds Amazon has not answered yet are sent again (same request id)."""
    from jwo_console.queueing import send_now

    from .refunds import refunds_unsent

    ids = refunds_unsent()
    for refund_id in ids:
        send_now("payments.tasks.refund_send_task", refund_id, refund_id=refund_id)
    return len(ids)


@shared_task(name="payments.tasks.payment_status_report_send_task")
def payment_status_report_send_task(report_id: int) -> None:
    from .reports import payment_status_report_send

    payment_status_report_send(report_id=report_id)


@shared_task(name="payments.tasks.payment_status_reports_send_task")
def payment_status_reports_send_task() -> int:
    """Beat, every minute: reports Amazon has not accepted yet, one task each."""
    from django.utils import timezone

    from .reports import payment_status_reports_claim
    from .sweep import sweep_horizon

    now = timezone.now()
    ids = payment_status_reports_claim(now=now, due_before=sweep_horizon(now=now))
    for report_id in ids:
        payment_status_report_send_task.delay(report_id)
    return len(ids)


@shared_task(name="payments.tasks.payoff_reconcile_task")
def payoff_reconcile_task() -> int:
    from .payoffs import payoffs_reconcile

    return payoffs_reconcile()
