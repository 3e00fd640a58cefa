from django.conf import settings
from django.db import models
from django.db.models import Q

from stores.models import Store

from .choices import OPEN_STATUSES, RunStatus


class ConnectivityRun(models.Model):
    """One press of Run test for a store: the checks planned at the start, each filled in as it
    finishes (``checks``: a list of ``{key, kind, name, target, status, http_status, detail,
    diagnosis, duration_ms}``, connectivity/checks.py), who asked, and when it started and
    finished. At most one unfinished run per store (two clicks at once start one run)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="connectivity_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # when the worker last moved the run on (claimed it, finished a check): a run open with no
    # progress for JWO_CONNECTIVITY_NO_PROGRESS_MINUTES lost its worker (services.py)
    progress_at = models.DateTimeField(null=True, blank=True)
    checks = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="connectivity_one_open_run_per_store",
            )
        ]
        indexes = [models.Index(fields=["store", "-created_at"], name="connectivity_store_idx")]

    def __str__(self) -> str:
        return f"Connectivity test of {self.store} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for check in self.checks:
            found[check.get("status", "")] = found.get(check.get("status", ""), 0) + 1
        return found
