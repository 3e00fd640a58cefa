import uuid

from django.conf import settings
from django.db import models

from jwo_console.models import BaseModel

from .choices import EntryMethod, GateReason, LedgerKind, VisitorType

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class Shopper(BaseModel):
    """A person the gate may admit: a shopper with the retailer's app, or an associate."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=VisitorType.choices, default=VisitorType.SHOPPER)
    is_flagged = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=300, blank=True)
    app_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email


class AppScanKey(models.Model):
    """One Scan Key Code the app showed: the token maps back to the shopper."""

    shopper = models.ForeignKey(Shopper, on_delete=models.CASCADE, related_name="scan_keys")
    token = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.shopper} @ {self.issued_at:%H:%M:%S}"


class LedgerEntry(BaseModel):
    """The shopper's standing: positive amounts are owed, negative ones paid or credited. The
    gate reads the balance; payments write it through the shoppers services."""

    shopper = models.ForeignKey(
        Shopper, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    card_token = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Amazon's id of the card (card entry)"
    )
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="USD")
    trip_id = models.CharField(max_length=255, blank=True, db_index=True)
    note = models.CharField(max_length=300, blank=True)
    reference = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="What booked it (an order's debt, one capture): booking it twice is refused.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class GateDecision(models.Model):
    """Every decision at the gate, with its reason (Shoppers → Gate activity)."""

    jwo_store_id = models.CharField(max_length=255, db_index=True)
    auth_event_id = models.CharField(max_length=255, unique=True)
    entry = models.CharField(max_length=10, choices=EntryMethod.choices)
    shopper = models.ForeignKey(
        Shopper, null=True, blank=True, on_delete=models.SET_NULL, related_name="gate_decisions"
    )
    admitted = models.BooleanField()
    reason = models.CharField(max_length=20, choices=GateReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    risks = models.JSONField(default=list, blank=True, help_text="what Amazon reported (F&A)")
    # F&A: the pre-auth the console answered for an admitted card ("fa_approve": Amazon's
    # authorizedAmount as asked; "fa_adjust": the store's reduced pre-auth for a risk).
    authorized_amount = models.DecimalField(**MONEY, null=True, blank=True)
    authorized_source = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    event_time = models.DateTimeField()
    decided_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{'admit' if self.admitted else 'refuse'} {self.get_reason_display()}"
