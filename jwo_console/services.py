from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat


@transaction.atomic
def heartbeat_record(*, worker: str) -> WorkerHeartbeat:
    """Note that ``worker`` is alive now; counts the beats it has answered."""
    now = timezone.now()
    beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        worker=worker, defaults={"last_seen_at": now, "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(last_seen_at=now, beats=F("beats") + 1)
        beat.refresh_from_db()
    return beat
