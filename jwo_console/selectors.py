from datetime import datetime

from django.db.models import Max

from .models import WorkerHeartbeat


def worker_last_seen_at() -> datetime | None:
    return WorkerHeartbeat.objects.aggregate(last=Max("last_seen_at"))["last"]
