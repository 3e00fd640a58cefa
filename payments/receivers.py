from django.conf import settings
from django.db import transaction


def take_payment_when_priced(sender, *, order_id: int, **kwargs) -> None:
    """The first payment attempt starts once the pricing transaction has committed
    (``JWO_PAYMENT_ON_PRICED``; the pricing tests turn it off to look at priced orders)."""
    if not settings.JWO_PAYMENT_ON_PRICED:
        return
    from .tasks import payment_take_task

    transaction.on_commit(lambda: payment_take_task.delay(order_id))
