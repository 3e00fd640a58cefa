"""Thin Celery wrappers: ids in, one service call (STYLE.md guideline 7)."""

from celery import shared_task


@shared_task(name="payments.tasks.payment_take_task")
def payment_take_task(order_id: int) -> None:
    from .services import payment_take

    payment_take(order_id=order_id)


@shared_task(name="payments.tasks.payment_retry_sweep_task")
def payment_retry_sweep_task() -> int:
    """Beat, every minute: claim the due orders and give each its own task."""
    from .services import payment_retry_due_claim

    ids = payment_retry_due_claim()
    for order_id in ids:
        payment_retry_due_task.delay(order_id)
    return len(ids)


@shared_task(name="payments.tasks.payment_retry_due_task")
def payment_retry_due_task(order_id: int) -> None:
    from .services import payment_retry_due

    payment_retry_due(order_id=order_id)


@shared_task(name="payments.tasks.refund_send_task")
def refund_send_task(refund_id: int) -> None:
    from .services import refund_send

    refund_send(refund_id=refund_id)


@shared_task(name="payments.tasks.payment_status_report_send_task")
def payment_status_report_send_task(report_id: int) -> None:
    from .reports import payment_status_report_send

    payment_status_report_send(report_id=report_id)


@shared_task(name="payments.tasks.payment_status_reports_send_task")
def payment_status_reports_send_task() -> int:
    """Beat, every minute: reports Amazon has not accepted yet, one task each."""
    from .reports import payment_status_reports_claim

    ids = payment_status_reports_claim()
    for report_id in ids:
        payment_status_report_send_task.delay(report_id)
    return len(ids)


@shared_task(name="payments.tasks.payoff_reconcile_task")
def payoff_reconcile_task() -> int:
    from .payoffs import payoffs_reconcile

    return payoffs_reconcile()
