"""payments tells; the portal e-mails the shopper (a task each, so a slow mail server never
holds up a payment)."""


def on_receipt_stored(sender, *, order_id: int, **kwargs) -> None:
    from .tasks import receipt_email_task

    receipt_email_task.delay(order_id)


def on_refund_changed(sender, *, refund_id: int, **kwargs) -> None:
    from .tasks import refund_email_task

    refund_email_task.delay(refund_id)


def on_payoff_paid(sender, *, payoff_id: int, **kwargs) -> None:
    from .tasks import payoff_email_task

    payoff_email_task.delay(payoff_id)


def on_payment_declined(sender, *, order_id: int, **kwargs) -> None:
    from .tasks import declined_email_task

    declined_email_task.delay(order_id)
