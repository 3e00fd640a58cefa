from django.db import models


class BaseModel(models.Model):
    """Every table gets creation and update times (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat-scheduled heartbeat task, per worker host.

    /healthz shows its age, so an operator can tell that beat and a worker are alive.
    """

    worker = models.CharField(max_length=200, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}Z"
