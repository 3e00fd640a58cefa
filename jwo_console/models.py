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


class AmazonApiCall(models.Model):
    """One attempt of one call to an Amazon-hosted API, as the client recorded it.

    Credentials and signatures are redacted before they get here. Rows older than
    ``JWO_CALL_LOG_RETENTION_DAYS`` are purged by a periodic task.
    """

    service = models.CharField(max_length=20, db_index=True)
    operation = models.CharField(max_length=50, db_index=True)
    method = models.CharField(max_length=10, default="POST")
    url = models.CharField(max_length=500)
    store_id = models.CharField(max_length=255, blank=True, db_index=True)
    trip_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "Amazon API call"

    def __str__(self) -> str:
        return f"{self.operation} {self.http_status or self.error} ({self.duration_ms} ms)"


class BeatLease(models.Model):
    """Who may run Celery beat's schedule, until when (jwo_console/beatlock.py).

    One row per lock name. A beat sends scheduled tasks only while it is ``holder`` and
    ``expires_at`` is in the future; it renews the lease as it ticks. Another beat takes the row
    over only once the lease has expired (its holder stopped or lost the database).
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    acquired_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}Z"
