from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    PASSED = "PASSED", "Passed"
    FAILED = "FAILED", "Failed"
    INTERRUPTED = "INTERRUPTED", "Interrupted"


OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class CheckStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting"
    OK = "OK", "OK"
    FAILED = "FAILED", "Failed"
    SKIPPED = "SKIPPED", "Not run"


class CheckKind(models.TextChoices):
    AMAZON = "AMAZON", "Amazon service"
    QUEUE = "QUEUE", "SQS queue"
    CONNECTOR = "CONNECTOR", "Connector endpoint"
