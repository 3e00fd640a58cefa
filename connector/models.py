from django.db import models
from django.db.models import Q


class Endpoint(models.TextChoices):
    IDENTITY_KEYS = "IDENTITY_KEYS", "POST /v1/identity/identity-keys"
    SCAN = "SCAN", "POST /v1/identity/scan"
    GET_SHOPPER = "GET_SHOPPER", "POST /v1/identity/shopper"
    SHOPPER_AUTHORIZATION = "SHOPPER_AUTHORIZATION", "POST /v1/fraudandabuse/shopperauthorization"
    PURCHASES = "PURCHASES", "POST /v1/order/purchases"
    SCAN_DETAILS = "SCAN_DETAILS", "POST /v1/identity/scan/details"
    UNKNOWN = "UNKNOWN", "A path under /v1/ we do not serve"


class RequestStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    ANSWERED = "ANSWERED", "Answered"
    INVALID = "INVALID", "Refused: invalid"
    UNAUTHORIZED = "UNAUTHORIZED", "Refused: wrong secret"
    DUPLICATE = "DUPLICATE", "Duplicate (original answer repeated)"
    CONFLICT = "CONFLICT", "Same key, different payload (kept for review)"
    FAILED = "FAILED", "Failed (our error)"
    TOO_LARGE = "TOO_LARGE", "Refused: body too large (a preview is kept)"
    UNSUPPORTED = "UNSUPPORTED", "Refused: not JSON (content type)"
    NOT_ALLOWED = "NOT_ALLOWED", "Refused: method not allowed"
    NOT_FOUND = "NOT_FOUND", "Refused: no such endpoint"
    THROTTLED = "THROTTLED", "Refused: over the store's rate"


class ConnectorRequest(models.Model):
    """Every call Amazon makes to us, stored before it is processed, with our answer.

    ``dedupe_key`` is set on the first request of a logical event (one gate scan, one trip);
    the unique constraint is the idempotency. Duplicates are stored too, pointing at the original.
    """

    endpoint = models.CharField(max_length=30, choices=Endpoint.choices)
    request_id = models.CharField(max_length=100, blank=True, db_index=True)
    store_id = models.CharField(max_length=255, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=600, null=True, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True, help_text="NUL characters kept as \\u0000")
    body_size = models.PositiveIntegerField(
        default=0, help_text="bytes received; the body above is a preview when it is larger"
    )
    method = models.CharField(max_length=10, default="POST")
    status = models.CharField(
        max_length=15, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="connector_request_dedupe",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_endpoint_display()} {self.response_status or '…'}"


class ScanResolution(models.Model):
    """What a ResolveScan accepted, kept for GetScanDetails (Amazon asks for the loyalty
    provider's metadata afterwards, with the ``scanResult`` we answered)."""

    jwo_store_id = models.CharField(max_length=255)
    result_id = models.CharField(max_length=255)
    result_type = models.CharField(max_length=20)
    provider = models.CharField(max_length=255)
    promotion_ids = models.JSONField(default=list, blank=True)
    resolved_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-resolved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["jwo_store_id", "result_type", "result_id"], name="scan_resolution_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.result_type} {self.result_id} ({self.provider})"
