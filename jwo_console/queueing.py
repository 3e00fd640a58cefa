"""Queuing a task once the current transaction commits, without ever failing the request.

The database is the source of truth: whatever must happen is also written as a row's next action
that a beat sweep finds (payments/sweep.py). The broker only makes it happen sooner, so a broker
that is down when the transaction commits costs a delay, never the request (Amazon would get a
500 for a purchase that is safely stored)."""

import importlib
import logging
from typing import Any

from kombu.exceptions import OperationalError

from jwo_console import heldwrites

logger = logging.getLogger(__name__)


def queue_depths() -> dict[str, int] | None:
    """Messages waiting in each queue, read from the broker; ``None`` when the broker is not
    Redis (RabbitMQ, SQS, the filesystem transport: their own monitoring tells) or does not
    answer. Read by /metrics (ops/metrics.py) and by the sweeps (payments/sweep.py)."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    names = [queue.name for queue in settings.CELERY_TASK_QUEUES]

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            depths = pipe.execute()
    except redis.RedisError:
        logger.warning("queue depth: the broker did not answer")
        return None
    finally:
        client.close()
    return dict(zip(names, (int(d) for d in depths), strict=True))


def send_now(task_name: str, *args: Any, **log_ids: Any) -> bool:
    """Send the task by name; False (logged) when the broker does not take it."""
    from jwo_console.celery import app

    module, _, _name = task_name.rpartition(".")
    importlib.import_module(module)  # registers the task (a web process has not imported it)
    try:
        app.tasks[task_name].apply_async(args=args)
    except (OperationalError, OSError) as exc:  # the broker is away: the sweep takes over
        logger.warning(
            "task %s not queued (%s); the sweep will run it", task_name, exc, extra=log_ids
        )
        return False
    except Exception as exc:  # the broker refused it (Redis OOM, READONLY, MISCONF: not wrapped)
        logger.error(
            "task %s not queued (%s: %s); the sweep will run it",
            task_name,
            type(exc).__name__,
            exc,
            extra=log_ids,
        )
        return False
    return True


def send_on_commit(task_name: str, *args: Any, **log_ids: Any) -> None:
    """Queue ``task_name`` after the surrounding transaction commits (at once outside one; after
    the flush while a connector request holds its writes, jwo_console/heldwrites.py)."""
    heldwrites.on_commit(lambda: send_now(task_name, *args, **log_ids))
