from celery import shared_task


@shared_task(name="reconciliation.tasks.reconciliation_daily_task")
def reconciliation_daily_task() -> int:
    from .services import reconciliation_daily

    return reconciliation_daily()


@shared_task(name="reconciliation.tasks.reconciliation_run_task")
def reconciliation_run_task(store_id: int, day: str, user_id: int | None = None) -> int:
    from datetime import date

    from django.contrib.auth import get_user_model

    from stores.models import Store

    from .models import RunTrigger
    from .services import reconciliation_run

    run = reconciliation_run(
        store=Store.objects.get(pk=store_id),
        day=date.fromisoformat(day),
        trigger=RunTrigger.MANUAL,
        requested_by=get_user_model().objects.filter(pk=user_id).first(),
    )
    return run.pk
