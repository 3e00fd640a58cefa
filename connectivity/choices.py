from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    PASSED = "PASSED", "Passed"
    FAILED = "FAILED", "Failed"
    # nothing failed, but a check could not reach what it tests (checks.py connector_verdict)
    INCONCLUSIVE = "INCONCLUSIVE", "Inconclusive"
    INTERRUPTED = "INTERRUPTED", "Interrupted"


OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class CheckStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting"
    OK = "OK", "OK"
    FAILED = "FAILED", "Failed"
    SKIPPED = "SKIPPED", "Not run"
    # reachable, but what stands in front (API Gateway's IAM check) stops the probe short
    INCONCLUSIVE = "INCONCLUSIVE", "Inconclusive"


class CheckKind(models.TextChoices):
    AMAZON = "AMAZON", "Amazon service"
    QUEUE = "QUEUE", "SQS queue"
    CONNECTOR = "CONNECTOR", "Connector endpoint"
