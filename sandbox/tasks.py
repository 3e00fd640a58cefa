from celery import shared_task
from django.conf import settings


@shared_task(name="sandbox.tasks.sandbox_reporting_task")
def sandbox_reporting_task() -> int:
    """Amazon's intra-day file and events, every SANDBOX_REPORTING_INTERVAL_SECONDS."""
    if not (settings.JWO_SANDBOX and settings.SANDBOX_SQS_ENDPOINT_URL):
        return 0
    from .reporting import reporting_publish

    return len(reporting_publish()["files"])
