from celery import shared_task


@shared_task(bind=True, name="jwo_console.tasks.heartbeat_task")
def heartbeat_task(self) -> None:
    from .services import heartbeat_record

    heartbeat_record(worker=self.request.hostname or "unknown")
