from decimal import Decimal

from django.db import models


class AttemptTrigger(models.TextChoices):
    INITIAL = "INITIAL", "Initial"
    AUTO = "AUTO", "Automatic retry"
    MANUAL = "MANUAL", "Staff retry"


class AttemptStatus(models.TextChoices):
    STARTED = "STARTED", "In progress"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    DECLINED = "DECLINED", "Declined"
    PENDING = "PENDING", "Pending at the processor"
    REJECTED = "REJECTED", "Rejected by Amazon"


class AdjustStatus(models.TextChoices):
    """Amazon's AdjustCharge answer (``adjust_status`` on an attempt keeps it as sent)."""

    APPROVED = "APPROVED", "Approved"
    DECLINED = "DECLINED", "Declined"
    PENDING = "PENDING", "Pending"


class AttemptStep(models.TextChoices):
    """How far an attempt got: a resumed attempt carries on from here with the same amounts."""

    NEW = "NEW", "Not sent yet"
    ADJUST_SENT = "ADJUST_SENT", "AdjustCharge sent"
    ADJUSTED = "ADJUSTED", "Adjusted (approved)"
    CAPTURE_SENT = "CAPTURE_SENT", "CaptureCharge sent"
    CANCEL_SENT = "CANCEL_SENT", "CancelCharge sent"
    CHECKOUT_SENT = "CHECKOUT_SENT", "Cart sent to the Checkout Service"
    DONE = "DONE", "Done"


class AuthorizedSource(models.TextChoices):
    """Where an attempt from retry 7 on took the trip's authorized amount from."""

    TRIP = "TRIP", "The trip's gate decision"
    ADJUST_ANSWER = "ADJUST", "An AdjustCharge answer"
    STORE_SETTING = "STORE", "The store's pre-auth setting"


class TenderKind(models.TextChoices):
    """How a paid order was settled: the card, and store credit for what a short collection
    left (owed on the shopper's ledger until paid off)."""

    CARD = "CARD", "Card (captured)"
    STORE_CREDIT = "STORE_CREDIT", "Store credit (owed)"
    PAYOFF = "PAYOFF", "Paid off in the portal (card)"


class RefundStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "Requested"
    APPROVED = "APPROVED", "Approved (sending to Amazon)"
    REFUNDED = "REFUNDED", "Refunded"
    REJECTED = "REJECTED", "Rejected"


class RefundReason(models.TextChoices):
    """Amazon's refundReasonCode values."""

    DAMAGED_ITEM = "DAMAGED_ITEM", "Damaged item"
    EXPIRED_ITEM = "EXPIRED_ITEM", "Expired item"
    UNWANTED_ITEM = "UNWANTED_ITEM", "Unwanted item"
    JWO_TECH_ERROR = "JWO_TECH_ERROR", "Charged for something not taken"
    OTHER = "OTHER", "Other"


# The share of the order total a retry asks for (payments/rules.py ``retry_plan``).
# Retry 0 is the first attempt. From retry 7 on, the gate's pre-auth is captured instead.
AUTHORIZED_FROM_RETRY = 7
RETRY_PERCENT: dict[int, Decimal] = {
    0: Decimal("100"),
    1: Decimal("100"),
    2: Decimal("100"),
    3: Decimal("100"),
    4: Decimal("90"),
    5: Decimal("70"),
    6: Decimal("60"),
}


class PayoffStatus(models.TextChoices):
    CREATED = "CREATED", "Created"
    OPEN = "OPEN", "Waiting for the card processor"
    PAID = "PAID", "Paid"
    CANCELLED = "CANCELLED", "Cancelled"


# A payoff not yet paid or cancelled: at most one per party, and its orders are not retried.
PAYOFF_UNFINISHED = [PayoffStatus.CREATED, PayoffStatus.OPEN]


class ReportStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting to be accepted"
    ACCEPTED = "ACCEPTED", "Accepted by Amazon"
    REJECTED = "REJECTED", "Rejected by Amazon"


class OwedReason(models.TextChoices):
    """Why a trip is on the shopper's balance (the portal's breakdown)."""

    DECLINED = "DECLINED", "Card declined"
    PARTIAL = "PARTIAL", "Collected short: the rest is owed as store credit"
    EXPIRED = "EXPIRED", "The card authorization expired before the total was collected"
