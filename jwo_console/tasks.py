from celery import shared_task


@shared_task(bind=True, name="jwo_console.tasks.heartbeat_task")
def heartbeat_task(self) -> None:
    from .services import heartbeat_record

    heartbeat_record(worker=self.request.hostname or "unknown")


@shared_task(name="jwo_console.tasks.amazon_calls_purge_task")
def amazon_calls_purge_task() -> int:
    from .calllog import amazon_calls_purge

    return amazon_calls_purge()
