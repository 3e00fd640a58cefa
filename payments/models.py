import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from jwo_console.models import BaseModel
from orders.models import Order
from shoppers.models import Shopper

from .choices import (
    PAYOFF_UNFINISHED,
    AttemptStatus,
    AttemptStep,
    AttemptTrigger,
    AuthorizedSource,
    PayoffStatus,
    RefundReason,
    RefundStatus,
    ReportStatus,
    TenderKind,
)

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class PaymentAttempt(BaseModel):
    """One try at getting an order paid (docs/ARCHITECTURE.md "States").

    The row is committed before any remote call, with a unique idempotency key. ``step`` records
    how far it got, so that a crash or a timeout is finished by resuming *this* attempt with the
    same amounts (never a second capture with another amount). ``lease_until`` marks an attempt
    a worker is running now; an attempt whose lease ran out is resumable.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payment_attempts")
    attempt_no = models.PositiveSmallIntegerField()
    retry_no = models.PositiveSmallIntegerField(
        default=0, help_text="The step of the retry schedule (0: the first attempt)."
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    trigger = models.CharField(max_length=10, choices=AttemptTrigger.choices)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.CharField(max_length=20)  # the store's payment mode at the time
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    requested_amount = models.DecimalField(**MONEY, help_text="What AdjustCharge asks for.")
    capture_amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.STARTED
    )
    step = models.CharField(max_length=15, choices=AttemptStep.choices, default=AttemptStep.NEW)
    adjust_status = models.CharField(max_length=10, blank=True)
    authorized_amount = models.DecimalField(**MONEY, null=True, blank=True)
    authorized_source = models.CharField(
        max_length=10,
        choices=AuthorizedSource.choices,
        blank=True,
        help_text="From retry 7: where the trip's authorized amount came from.",
    )
    captured_amount = models.DecimalField(**MONEY, default=0)
    reads = models.PositiveSmallIntegerField(
        default=0, help_text="Reads of Amazon's record after a capture without an answer."
    )
    resolution = models.CharField(
        max_length=200, blank=True, help_text="How an unknown capture outcome was settled."
    )
    remote_order_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    calls = models.JSONField(default=list, blank=True)  # [{operation, request, response, ...}]
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "attempt_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "attempt_no"], name="attempt_once_per_no"),
            # At most one unfinished attempt per order: two staff pressing Retry at once cannot
            # both start one.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=AttemptStatus.STARTED),
                name="attempt_one_open_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} attempt {self.attempt_no} ({self.status})"


class Tender(models.Model):
    """How a paid order was settled: the card for what was captured, store credit for what a
    short collection left. ``reference`` makes each tender once."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tenders")
    attempt = models.ForeignKey(
        PaymentAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=15, choices=TenderKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=150, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class PaymentReceipt(BaseModel):
    """What a receipt needs beyond the order: the card (GetTransactionalData) and the e-mail
    Amazon has for the shopper (GetShopperIdentity)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="receipt")
    brand = models.CharField(max_length=30, blank=True)
    tail = models.CharField(max_length=4, blank=True, db_index=True)
    pos_entry_mode = models.CharField(max_length=20, blank=True)
    authorization_response_code = models.CharField(max_length=10, blank=True)
    application_id = models.CharField(max_length=40, blank=True)
    terminal_id = models.CharField(max_length=40, blank=True)
    reconciliation_id = models.CharField(max_length=100, blank=True)
    card_statement_transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    shopper_email = models.CharField(max_length=128, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)  # every field Amazon sent

    def __str__(self) -> str:
        return f"{self.brand} …{self.tail}"


class Refund(BaseModel):
    """A refund of (part of) a captured order. ``refund_request_id`` (a lower-case UUID, Amazon's
    idempotency key) is stored before Refund is called, and resent unchanged on a retry."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_request_id = models.CharField(max_length=36, unique=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reason_code = models.CharField(max_length=20, choices=RefundReason.choices)
    note = models.CharField(max_length=500, blank=True)
    lines = models.JSONField(default=list, blank=True)  # [{"line_no", "quantity", "amount"}]
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_shopper = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    reconciliation_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(
        null=True, blank=True, help_text="A send to Amazon holds the refund until then."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_order", "Can refund orders")]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of {self.order} ({self.status})"


class Payoff(BaseModel):
    """A shopper paying off their balance in the portal, through the retailer's card processor
    (a hosted page). ``items`` fixes which trips it pays and how much of each when it starts.
    At most one payoff per party is unfinished (a partial unique constraint), so two tabs cannot
    open two payments for one balance; the processor's payment id is unique, so one payment is
    booked once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    party = models.CharField(max_length=300, help_text="shopper:<id>, card:<token> or trip:<id>")
    shopper = models.ForeignKey(
        Shopper, null=True, blank=True, on_delete=models.PROTECT, related_name="payoffs"
    )
    card_token = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list)  # [{"order_id", "trip_id", "purchase_id", "amount"}]
    orders = models.ManyToManyField(Order, related_name="payoffs", blank=True)
    status = models.CharField(
        max_length=10, choices=PayoffStatus.choices, default=PayoffStatus.CREATED
    )
    processor_session_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    processor_payment_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    processor_url = models.CharField(max_length=500, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    error = models.CharField(max_length=300, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["party"],
                condition=Q(status__in=PAYOFF_UNFINISHED),
                name="payoff_one_open_per_party",
            )
        ]

    def __str__(self) -> str:
        return f"Payoff {self.amount} {self.currency} ({self.status})"


class PaymentStatusReport(BaseModel):
    """One ReportPaymentStatus to Amazon (Amazon-managed F&A), kept until Amazon accepts it:
    after a payment outcome and after a portal payoff. ``reference`` makes each report once."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_reports")
    reference = models.CharField(max_length=200, unique=True)
    total_amount = models.DecimalField(**MONEY)
    settled_amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status_time = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Report {self.settled_amount}/{self.total_amount} for {self.order} ({self.status})"
