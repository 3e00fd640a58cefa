"""Thin Celery wrapper: the beat sweep that puts back stock of orders never charged."""

from celery import shared_task


@shared_task(name="stock.tasks.stock_unpaid_restore_sweep_task")
def stock_unpaid_restore_sweep_task() -> int:
    from .services import stock_unpaid_restore_sweep

    return stock_unpaid_restore_sweep()
