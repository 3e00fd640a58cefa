"""Thin Celery wrappers for the shopper e-mails (ids in, one call)."""

from celery import shared_task


@shared_task(
    name="portal.tasks.signin_email_task",
    autoretry_for=(OSError,),
    max_retries=3,
    retry_backoff=True,
)
def signin_email_task(link_id: int, token: str) -> None:
    from .notifications import signin_email_send

    signin_email_send(link_id=link_id, token=token)


@shared_task(
    name="portal.tasks.receipt_email_task",
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=True,
)
def receipt_email_task(order_id: int) -> None:
    from .notifications import receipt_email_send

    receipt_email_send(order_id=order_id)


@shared_task(
    name="portal.tasks.refund_email_task",
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=True,
)
def refund_email_task(refund_id: int) -> None:
    from .notifications import refund_email_send

    refund_email_send(refund_id=refund_id)


@shared_task(
    name="portal.tasks.payoff_email_task",
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=True,
)
def payoff_email_task(payoff_id: int) -> None:
    from .notifications import payoff_email_send

    payoff_email_send(payoff_id=payoff_id)


@shared_task(
    name="portal.tasks.declined_email_task",
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=True,
)
def declined_email_task(order_id: int) -> None:
    from .notifications import declined_email_send

    declined_email_send(order_id=order_id)
