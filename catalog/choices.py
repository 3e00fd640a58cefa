from django.db import models


class BarcodeType(models.TextChoices):
    UPC = "UPC", "UPC"
    EAN = "EAN", "EAN-13"
    EAN8 = "EAN8", "EAN-8"
    GTIN = "GTIN", "GTIN-14"
    ISBN = "ISBN", "ISBN"
    PLU = "PLU", "PLU"


class SyncState(models.TextChoices):
    NEVER = "NEVER", "Never synced"
    PENDING = "PENDING", "Sent, awaiting Amazon"
    ACCEPTED = "ACCEPTED", "In sync"
    REJECTED = "REJECTED", "Rejected by Amazon"
    ARCHIVED = "ARCHIVED", "Archived at Amazon"


class SyncRunKind(models.TextChoices):
    CHANGES = "CHANGES", "New and changed items"
    REJECTED = "REJECTED", "Re-sync rejected items"
    ALL = "ALL", "Send every item again"


class SyncRunTrigger(models.TextChoices):
    MANUAL = "MANUAL", "Sync Items"
    SCHEDULE = "SCHEDULE", "Schedule"


class SyncRunStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Sending"
    WAITING = "WAITING", "Waiting for Amazon's results"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"


class UploadKind(models.TextChoices):
    UPLOAD = "UPLOAD", "Upload"
    ARCHIVE = "ARCHIVE", "Archive"


class ImportStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Importing"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
