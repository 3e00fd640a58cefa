from celery import shared_task
from django.conf import settings


@shared_task(name="feeds.tasks.feed_event_process_task")
def feed_event_process_task(event_id: int) -> None:
    from .events import feed_event_process
    from .models import FeedEvent

    event = FeedEvent.objects.filter(pk=event_id).first()
    if event is not None:
        feed_event_process(event=event)


@shared_task(name="feeds.tasks.feed_events_sweep_task")
def feed_events_sweep_task() -> int:
    from .events import feed_events_sweep

    return feed_events_sweep()


@shared_task(name="feeds.tasks.feed_events_consume_task")
def feed_events_consume_task() -> int:
    if not (settings.JWO_EVENT_SQS_QUEUE_URL or settings.JWO_EVENT_SQS_QUEUE_NAME):
        return 0
    from .events import feed_events_consume

    return feed_events_consume()


@shared_task(name="feeds.tasks.intraday_notifications_consume_task")
def intraday_notifications_consume_task() -> int:
    if not (settings.JWO_INTRADAY_SQS_QUEUE_URL or settings.JWO_INTRADAY_SQS_QUEUE_NAME):
        return 0
    from .intraday import intraday_notifications_consume

    return intraday_notifications_consume()


@shared_task(name="feeds.tasks.intraday_bucket_list_task")
def intraday_bucket_list_task() -> int:
    from .intraday import intraday_bucket_list

    return intraday_bucket_list()
