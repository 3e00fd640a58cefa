from celery import shared_task


@shared_task(name="dashboard.tasks.order_stats_recent_task")
def order_stats_recent_task() -> int:
    from .stats import RECENT_HOURS, order_stats_refresh

    return order_stats_refresh(hours=RECENT_HOURS)


@shared_task(name="dashboard.tasks.order_stats_history_task")
def order_stats_history_task() -> int:
    from .stats import HISTORY_DAYS, order_stats_refresh

    return order_stats_refresh(hours=HISTORY_DAYS * 24)
