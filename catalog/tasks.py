from celery import shared_task


@shared_task(name="catalog.tasks.catalog_sync_run_task", acks_late=True)
def catalog_sync_run_task(run_id: int) -> None:
    """acks_late: the run's status is the key — a redelivered message finds it under way."""
    from .sync import catalog_sync_run_execute

    catalog_sync_run_execute(run_id=run_id)


@shared_task(name="catalog.tasks.catalog_import_task")
def catalog_import_task(import_id: int) -> None:
    from .models import CatalogImport
    from .services import catalog_import_run

    catalog_import_run(job=CatalogImport.objects.get(pk=import_id))


@shared_task(name="catalog.tasks.catalog_notifications_consume_task")
def catalog_notifications_consume_task() -> int:
    from django.conf import settings

    from .results import catalog_notifications_consume

    if not (settings.JWO_CATALOG_SQS_QUEUE_URL or settings.JWO_CATALOG_SQS_QUEUE_NAME):
        return 0
    return catalog_notifications_consume()


@shared_task(name="catalog.tasks.catalog_uploads_poll_task")
def catalog_uploads_poll_task() -> int:
    from .results import catalog_uploads_poll

    return catalog_uploads_poll()


@shared_task(name="catalog.tasks.catalog_sync_schedules_task")
def catalog_sync_schedules_task() -> int:
    from .sync import catalog_sync_schedules_run

    return catalog_sync_schedules_run()
