from celery import shared_task


@shared_task(name="orders.tasks.order_price_task")
def order_price_task(order_id: int) -> None:
    from .services import order_price

    order_price(order_id=order_id)
